"""``trueport master-key rewrap``: the command-line way to finish a master-key rotation.

The same work as ``POST /api/v1/admin/master-key/rewrap``, for an operator with the config file and
database access but no running server (see ``rotation``). Register ``master_key`` on the main group.
"""

from __future__ import annotations

import asyncio

import click

from trueport.commandline import command_settings, config_option
from trueport.db.session import database
from trueport.platform.credentials.envelope import Envelope
from trueport.platform.credentials.rotation import rewrap_all
from trueport.platform.secrets import load_platform_secrets
from trueport.settings import Settings


async def rewrap_credentials(settings: Settings) -> tuple[int, str]:
    """Re-wrap every credential's data key under the configured active master key: (count, key id)."""
    async with database(settings) as sessions:
        secrets = await load_platform_secrets(settings, sessions)
        envelope = Envelope(secrets.master_keys, secrets.active_master_key)
        return await rewrap_all(sessions, envelope), envelope.active


@click.group("master-key")
def master_key() -> None:
    """The envelope-encryption master keys of provider credentials."""


@master_key.command("rewrap")
@config_option
def rewrap(config_path: str | None) -> None:
    """Re-wrap every credential's data key under platform.active_master_key."""
    settings = command_settings(config_path)
    count, active = asyncio.run(rewrap_credentials(settings))
    click.echo(f"re-wrapped {count} secrets under master key {active}")
