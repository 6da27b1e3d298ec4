"""``trueport audit ...``: the checkpoint public key, archive export, offline verification.

``verify`` needs nothing but the archive and a public-key file (several PEM blocks may follow one
another, for archives that span a key rotation). It prints ``OK <n> events`` and exits 0, or prints
``FAILED <location>: <problem>`` for the first problem found and exits 1. It imports no database
code; the other commands import it when they run.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click

from trueport.audit.config import AuditConfig
from trueport.audit.signing import KeyRing, has_configured_key, load_public_keys
from trueport.audit.verify import verify_archive
from trueport.commandline import command_settings, config_option
from trueport.errors import ConfigError
from trueport.settings import Settings

_config_option = config_option


def _settings(config_path: str | None) -> Settings:
    return command_settings(config_path)


def audit_config(settings: Settings) -> AuditConfig:
    from trueport.audit.service import audit_config

    return audit_config(settings)


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint=option) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@click.group("audit")
def audit() -> None:
    """The audit trail: checkpoint key, archive export, offline verification."""


@audit.command("public-key")
@_config_option
def public_key(config_path: str | None) -> None:
    """Print the current checkpoint-signing public key (PEM)."""
    settings = _settings(config_path)
    config = audit_config(settings)
    try:
        if has_configured_key(config):
            keyring = KeyRing.from_config(config)
        else:
            keyring = asyncio.run(_stored_keyring(settings))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(keyring.public_keys()[0].pem, nl=False)


async def _stored_keyring(settings: Settings) -> KeyRing:
    from trueport.audit.service import load_keyring
    from trueport.db.session import database

    async with database(settings) as sessions:
        return await load_keyring(
            audit_config(settings), sessions, production=settings.environment == "production"
        )


@audit.command("export")
@click.option(
    "--tenant", "tenant_slug", default=None, help="Only this tenant's events (default: the whole log)."
)
@click.option("--since", default=None, help="ISO 8601 time (UTC if no offset): events at or after it.")
@click.option("--until", default=None, help="ISO 8601 time (UTC if no offset): events before it.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    help="An empty or new directory, or s3://bucket/prefix (with audit.archive_s3's endpoint and lock).",
)
@_config_option
def export(
    tenant_slug: str | None, since: str | None, until: str | None, out_dir: str, config_path: str | None
) -> None:
    """Write sealed archive segments with their checkpoints and proofs to DIR (or S3)."""
    from trueport.audit.archive import ExportError
    from trueport.audit.objectstore import StoreError
    from trueport.tenants.service import TenantError

    settings = _settings(config_path)
    window = _moment(since, "--since"), _moment(until, "--until")
    try:
        events, segments = asyncio.run(_export(settings, tenant_slug, window, out_dir))
    except (ConfigError, TenantError, ExportError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"exported {events} events in {segments} segments to {out_dir}")


async def _export(
    settings: Settings,
    tenant_slug: str | None,
    window: tuple[datetime | None, datetime | None],
    out: str,
) -> tuple[int, int]:
    from trueport.audit.archive import export_archive
    from trueport.audit.issuer import CheckpointIssuer
    from trueport.audit.objectstore import open_store
    from trueport.audit.service import load_keyring
    from trueport.db.session import database
    from trueport.tenants.service import require_tenant

    config = audit_config(settings)
    async with database(settings) as sessions:
        tenant_id = None
        if tenant_slug is not None:
            async with sessions() as session:
                tenant_id = (await require_tenant(session, tenant_slug)).id
        keyring = await load_keyring(config, sessions, production=settings.environment == "production")
        issuer = CheckpointIssuer(
            sessions, keyring, origin=config.origin, interval_s=config.checkpoint_interval_s
        )
        result = await export_archive(
            sessions,
            issuer,
            open_store(out, config),
            tenant_id=tenant_id,
            since=window[0],
            until=window[1],
            segment_events=config.segment_events,
        )
    return result.events, result.segments


@audit.command("archive")
@_config_option
def archive(config_path: str | None) -> None:
    """Archive the events sealed since the last run to audit.archive_s3 (or audit.archive_dir).

    Run it from one place (a cron job): archives written concurrently would each verify, but hold
    the same events twice."""
    from trueport.audit.archive import ExportError
    from trueport.audit.objectstore import StoreError

    settings = _settings(config_path)
    try:
        result = asyncio.run(_archive(settings))
    except (ConfigError, ExportError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    if result is None:
        click.echo("nothing new to archive")
    else:
        click.echo(f"archived {result[0]} events in {result[1]} segments to {result[2]}")


async def _archive(settings: Settings) -> tuple[int, int, str] | None:
    from trueport.audit.archive import archive_sealed
    from trueport.audit.issuer import CheckpointIssuer
    from trueport.audit.objectstore import open_store
    from trueport.audit.service import load_keyring
    from trueport.db.session import database

    config = audit_config(settings)
    async with database(settings) as sessions:
        keyring = await load_keyring(config, sessions, production=settings.environment == "production")
        issuer = CheckpointIssuer(
            sessions, keyring, origin=config.origin, interval_s=config.checkpoint_interval_s
        )
        result = await archive_sealed(
            sessions, issuer, open_store(None, config), segment_events=config.segment_events
        )
    return None if result is None else (result.events, result.segments, result.location)


@audit.command("checkpoint")
@_config_option
def checkpoint(config_path: str | None) -> None:
    """Sign the current tree head now; prints its tree size, root hash and key id."""
    settings = _settings(config_path)
    try:
        signed = asyncio.run(_checkpoint(settings))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"checkpoint {signed[0]} {signed[1]} {signed[2]}")


async def _checkpoint(settings: Settings) -> tuple[int, str, str]:
    from trueport.audit.issuer import CheckpointIssuer
    from trueport.audit.service import load_keyring
    from trueport.db.session import database

    config = audit_config(settings)
    async with database(settings) as sessions:
        keyring = await load_keyring(config, sessions, production=settings.environment == "production")
        issuer = CheckpointIssuer(
            sessions, keyring, origin=config.origin, interval_s=config.checkpoint_interval_s
        )
        signed = await issuer.issue()
    assert signed is not None
    return signed.tree_size, signed.root_hash.hex(), signed.key_id


@audit.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--public-key",
    "public_key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="PEM file of the checkpoint public key(s).",
)
def verify(directory: str, public_key_file: str) -> None:
    """Verify an exported archive offline; exit 1 naming the first problem."""
    try:
        keys = load_public_keys(Path(public_key_file).read_bytes())
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read public key file {public_key_file}: {exc}") from exc
    result = verify_archive(Path(directory), keys)
    if result.ok:
        click.echo(f"OK {result.events} events")
        return
    click.echo(f"FAILED {result.problems[0]}")
    if len(result.problems) > 1:
        click.echo(f"({len(result.problems) - 1} more problems)", err=True)
    raise SystemExit(1)
