"""``trueport users``: the first platform admin, and a list of users, from the command line.

Creating the first admin cannot go through the API (nobody can sign in yet), so it is a command.
The password never appears on the command line (where ``ps`` and shell history would keep it): it is
read from stdin with ``--password-stdin``, or asked for twice without echo.
"""

from __future__ import annotations

import asyncio
import sys

import click
from pydantic import TypeAdapter, ValidationError

from trueport.commandline import command_settings, config_option
from trueport.errors import ApiError, ConfigError
from trueport.platform.users.schemas import Email
from trueport.settings import Settings

_config_option = config_option


def _settings(config_path: str | None) -> Settings:
    return command_settings(config_path)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on stdin")
        return password
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


async def _create_admin(settings: Settings, email: str, name: str, password: str) -> str:
    # Imported here: the rest of the CLI should not pay for loading the control plane.
    from trueport.db.session import database
    from trueport.platform.auth.passwords import Passwords
    from trueport.platform.users.service import create_user

    config = settings.platform
    async with database(settings) as sessions, sessions() as session:
        user = await create_user(
            session,
            Passwords(config.password_hash_concurrency),
            email=email,
            name=name,
            password=password,
            min_password_length=config.password_min_length,
            platform_admin=True,
        )
        await session.commit()
        return user.id


async def _list(settings: Settings) -> list[str]:
    from trueport.db.session import database
    from trueport.platform.users.repository import UserRepository

    async with database(settings) as sessions, sessions() as session:
        return [
            "\t".join(
                [
                    user.email,
                    user.id,
                    user.name,
                    "admin" if user.is_platform_admin else "user",
                    "disabled" if user.disabled_at is not None else "active",
                ]
            )
            for user in await UserRepository(session).all()
        ]


@click.group()
def users() -> None:
    """Create platform admins and list users."""


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin (for scripts)."
)
@_config_option
def create_admin(email: str, name: str, password_stdin: bool, config_path: str | None) -> None:
    """Create the platform admin EMAIL (migrates an embedded database first)."""
    try:
        TypeAdapter(Email).validate_python(email)
    except ValidationError as exc:
        raise click.ClickException(f"not an e-mail address: {email!r}") from exc
    settings = _settings(config_path)
    password = _read_password(password_stdin)
    try:
        user_id = asyncio.run(_create_admin(settings, email, name or email.split("@", 1)[0], password))
    except (ApiError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created platform admin {email.strip().lower()} ({user_id})")


@users.command("list")
@_config_option
def list_users(config_path: str | None) -> None:
    """List users: email, id, name, admin|user, active|disabled (tab-separated)."""
    for line in asyncio.run(_list(_settings(config_path))):
        click.echo(line)
