"""The ``trueport`` command. Output a script reads is plain and stable; errors go to stderr, exit 1."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from datetime import timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from trueport import __version__
from trueport.commandline import TruePortGroup, command_settings, config_option, exit_cleanly_on_signals
from trueport.db.engine import SessionFactory
from trueport.db.session import database, is_embedded
from trueport.errors import ConfigError
from trueport.guard.commands import GUARD_COMMANDS
from trueport.keys.repository import KeyRepository
from trueport.keys.secret import key_hmac_secret
from trueport.keys.service import KeyError_, create_key, revoke_key
from trueport.logging import configure_logging
from trueport.platform.live import LiveConfig
from trueport.settings import CONFIG_PATH_ENV, Settings
from trueport.state import open_state
from trueport.tenants.repository import TenantRepository
from trueport.tenants.service import TenantError, create_tenant, require_tenant

P = ParamSpec("P")
R = TypeVar("R")


def _settings(config_path: str | None) -> Settings:
    return command_settings(config_path)


async def _commit_config_change(settings: Settings, sessions: SessionFactory, session: AsyncSession) -> None:
    """Commit a change the gateways cache (keys, tenants), and announce it as the API does, so that
    running gateways apply it within seconds rather than at their safety-net refresh."""
    state = await open_state(settings)
    try:
        live = LiveConfig(state, sessions, poll_s=settings.platform.live_config_poll_s)
        generation = await live.bump(session)
        await session.commit()
        await live.announce(generation)
    finally:
        await state.close()


def _run(function: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """Run an async command body; domain errors become clean CLI errors."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return asyncio.run(function(*args, **kwargs))
        except (TenantError, KeyError_, ConfigError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


# Command groups imported when they are run (see TruePortGroup).
LAZY_COMMANDS = {
    "audit": "trueport.audit.commands:audit",
    "providers": "trueport.limits.status:providers",
    "users": "trueport.platform.users.commands:users",
    "master-key": "trueport.platform.credentials.commands:master_key",
    "recorder": "trueport.books.commands:recorder",
    "manifests": "trueport.manifests.commands:manifests",
    "eval-worker": "trueport.jobs.eval_worker:eval_worker",
}


@click.group(cls=TruePortGroup, lazy=LAZY_COMMANDS)
@click.version_option(__version__, prog_name="trueport")
def main() -> None:
    """TruePort: a defensible AI gateway."""
    configure_logging()  # on stderr from the start; each command's settings may then change the format


@main.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Proxies whose X-Forwarded-For is believed (comma-separated, or '*'); "
    "default: the config's server.forwarded_allow_ips, which is empty (nobody).",
)
def serve(
    config_path: str | None, host: str, port: int, workers: int, forwarded_allow_ips: str | None
) -> None:
    """Serve the gateway over HTTP; prints the URL once listening. SIGTERM or Ctrl+C drain calls in
    flight (up to server.shutdown_grace_s), write what is queued and exit 0."""
    from trueport.books.commands import start_recorder, starts_recorder, stop_recorder, without_recorder
    from trueport.db.migrate import upgrade_if_behind

    settings = _settings(config_path)
    exit_cleanly_on_signals()
    if is_embedded(settings):
        upgrade_if_behind(settings.database_url)  # Alembic only when there is work for it
    else:
        asyncio.run(_require_current_schema(settings))
    child = None
    if starts_recorder(settings):  # one recorder process keeps the books for every worker; started
        child = start_recorder(config_path)  # before the app is imported, so that both start at once
        settings = without_recorder(settings)

    try:
        from trueport.serving import run_server

        if config_path is not None and workers > 1:
            os.environ[CONFIG_PATH_ENV] = os.path.abspath(config_path)  # noqa: TID251 - handed to the workers
        run_server(settings, host=host, port=port, workers=workers, forwarded_allow_ips=forwarded_allow_ips)
    finally:
        if child is not None:
            stop_recorder(child)


async def _require_current_schema(settings: Settings) -> None:
    from trueport.db.engine import create_engine
    from trueport.db.migrate import require_current_schema

    engine = create_engine(settings.database_url)
    try:
        await require_current_schema(engine)
    finally:
        await engine.dispose()


@main.command()
@config_option
def migrate(config_path: str | None) -> None:
    """Bring the database schema up to date."""
    from trueport.db.migrate import head_revision, upgrade_to_head

    settings = _settings(config_path)
    upgrade_to_head(settings.database_url)
    click.echo(f"database at revision {head_revision()}")


@main.group()
def tenants() -> None:
    """Create and list tenants."""


@tenants.command("create")
@click.argument("slug")
@click.option("--name", default=None, help="Display name (defaults to the slug).")
@click.option(
    "--rpm", type=click.IntRange(min=1), default=None, help="Requests per minute, all keys together."
)
@click.option("--tpm", type=click.IntRange(min=1), default=None, help="Tokens per minute, all keys together.")
@config_option
@_run
async def tenants_create(
    slug: str, name: str | None, rpm: int | None, tpm: int | None, config_path: str | None
) -> None:
    """Create the tenant SLUG."""
    settings = _settings(config_path)
    async with database(settings) as sessions, sessions() as session:
        tenant = await create_tenant(session, slug, name, rpm_limit=rpm, tpm_limit=tpm)
        await _commit_config_change(settings, sessions, session)
    click.echo(f"created tenant {tenant.slug} ({tenant.id})")


@tenants.command("list")
@config_option
@_run
async def tenants_list(config_path: str | None) -> None:
    """List tenants: slug, id, name (tab-separated)."""
    async with database(_settings(config_path)) as sessions, sessions() as session:
        for tenant in await TenantRepository(session).list():
            click.echo(f"{tenant.slug}\t{tenant.id}\t{tenant.name}")


@main.group()
def keys() -> None:
    """Create, list and revoke virtual keys."""


@keys.command("create")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--name", default="", help="A label people can recognise.")
@click.option("--models", default=None, help="Comma-separated model aliases this key may use (default: all).")
@click.option("--rpm", type=click.IntRange(min=1), default=None, help="Requests per minute.")
@click.option("--tpm", type=click.IntRange(min=1), default=None, help="Tokens per minute.")
@click.option(
    "--expires-in",
    "expires_in",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Days until the key expires.",
)
@config_option
@_run
async def keys_create(
    tenant_slug: str,
    name: str,
    models: str | None,
    rpm: int | None,
    tpm: int | None,
    expires_in: float | None,
    config_path: str | None,
) -> None:
    """Create a key; it is printed alone on the last line, once, and never stored."""
    settings = _settings(config_path)
    async with database(settings) as sessions:
        secret = await key_hmac_secret(settings, sessions)
        async with sessions() as session:
            tenant = await require_tenant(session, tenant_slug)
            created = await create_key(
                session,
                tenant,
                hmac_secret=secret,
                name=name,
                models=models.split(",") if models is not None else None,
                rpm_limit=rpm,
                tpm_limit=tpm,
                expires_in=timedelta(days=expires_in) if expires_in is not None else None,
            )
            await _commit_config_change(settings, sessions, session)
    click.echo(f"created key {created.key.id} ({created.key.prefix}...) for tenant {tenant_slug}", err=True)
    click.echo(created.secret)


@keys.command("list")
@click.option("--tenant", "tenant_slug", required=True)
@config_option
@_run
async def keys_list(tenant_slug: str, config_path: str | None) -> None:
    """List a tenant's keys: id, prefix, name, status, models, rpm, expiry (tab-separated)."""
    async with database(_settings(config_path)) as sessions, sessions() as session:
        tenant = await require_tenant(session, tenant_slug)
        for key in await KeyRepository(session).list_for_tenant(tenant.id):
            status = "revoked" if key.revoked_at is not None else "active"
            click.echo(
                "\t".join(
                    [
                        key.id,
                        key.prefix,
                        key.name,
                        status,
                        ",".join(key.models or ["*"]),
                        str(key.rpm_limit or "-"),
                        key.expires_at.isoformat() if key.expires_at else "-",
                    ]
                )
            )


@keys.command("revoke")
@click.argument("key_id")
@click.option("--tenant", "tenant_slug", required=True)
@config_option
@_run
async def keys_revoke(key_id: str, tenant_slug: str, config_path: str | None) -> None:
    """Revoke a key by id (running gateways stop accepting it within seconds)."""
    settings = _settings(config_path)
    async with database(settings) as sessions, sessions() as session:
        tenant = await require_tenant(session, tenant_slug)
        await revoke_key(session, tenant, key_id)
        await _commit_config_change(settings, sessions, session)
    click.echo(f"revoked key {key_id}")


@main.command("mock-provider")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--api-key",
    default=None,
    help=(
        "Accept only this credential (default: any non-empty one); for Bedrock, the secret access key; "
        "not used by Vertex (tokens from its own /token endpoint)."
    ),
)
def mock_provider(host: str, port: int, latency_ms: int, api_key: str | None) -> None:
    """Run the provider emulator (OpenAI, Azure OpenAI, Anthropic, Gemini, Bedrock and Vertex AI wire formats)."""
    from trueport.mockprovider import run

    exit_cleanly_on_signals()
    run(host, port, latency_ms=latency_ms, api_key=api_key)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--database",
    "database_path",
    default="trueport-demo.db",
    show_default=True,
    help="SQLite file (created in the working directory).",
)
def demo(host: str, port: int, database_path: str) -> None:
    """Everything in one process, nothing to configure: gateway, provider emulator, tenant and key."""
    from trueport.demo import run_demo

    exit_cleanly_on_signals()
    run_demo(host=host, port=port, database_path=database_path)


for _command in GUARD_COMMANDS:
    main.add_command(_command)
