"""``trueport demo``: the gateway, the provider emulator, a tenant and a key, in one process.

Every provider type is wired to the emulator, so each model alias shows one path through TruePort:
``gpt-4o-mini`` (OpenAI), ``claude-sonnet-4-5`` (Anthropic), ``gemini-2.5-flash`` (Gemini),
``azure-gpt-4o`` (Azure OpenAI), ``smart`` (a failing target, then a working one: failover) and
``text-embedding-3-small``.

There is no SMTP server: mail (invitations, password resets) is kept in the development outbox, which
platform admins read in the console, and the demo prints each new mail's links as it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import socket
from pathlib import Path
from typing import Any

import click
import uvicorn

from trueport.app import create_app
from trueport.db.models import OutboxMail
from trueport.db.session import database
from trueport.keys.secret import key_hmac_secret
from trueport.keys.service import create_key
from trueport.logging import configure_logging
from trueport.mockprovider import MockProvider
from trueport.platform.mail.outbox import KEEP, Outbox
from trueport.settings import Settings, load_settings
from trueport.tenants.repository import TenantRepository
from trueport.tenants.service import create_tenant

DEMO_TENANT = "demo"
DEMO_PROVIDER_KEY = "demo-provider-key"
DEMO_ADMIN = "admin@example.com"  # platform admin of the demo installation
DEMO_OWNER = "owner@example.com"  # owner of the demo tenant


_LINK = re.compile(r"https?://[^\s<>\"']+")
OUTBOX_POLL_S = 1.0


def demo_settings(database_path: Path, mock_url: str, public_url: str | None = None) -> Settings:
    """The demo's settings; ``public_url``: where the demo is reached (the e-mailed links point there)."""

    def provider(kind: str, base_url: str, **extra: Any) -> dict[str, Any]:
        return {"type": kind, "base_url": base_url, "api_key": DEMO_PROVIDER_KEY, **extra}

    extra: dict[str, Any] = {"platform": {"public_url": public_url}} if public_url is not None else {}
    return load_settings(
        **extra,
        database=f"sqlite:///{database_path}",
        providers={
            "openai": provider("openai", f"{mock_url}/v1"),
            "anthropic": provider("anthropic", mock_url),
            "gemini": provider("gemini", mock_url),
            "azure": provider("azure_openai", mock_url, api_version="2024-10-21"),
        },
        models={
            "gpt-4o-mini": [{"provider": "openai", "model": "gpt-4o-mini"}],
            "claude-sonnet-4-5": [{"provider": "anthropic", "model": "claude-sonnet-4-5"}],
            "gemini-2.5-flash": [{"provider": "gemini", "model": "gemini-2.5-flash"}],
            "azure-gpt-4o": [{"provider": "azure", "model": "gpt-4o"}],
            "smart": [
                {"provider": "anthropic", "model": "claude-sonnet-4-5+status=503"},
                {"provider": "openai", "model": "gpt-4o"},
            ],
            "text-embedding-3-small": [{"provider": "openai", "model": "text-embedding-3-small"}],
        },
    )


async def _demo_key(settings: Settings) -> str:
    async with database(settings) as sessions:
        secret = await key_hmac_secret(settings, sessions)
        async with sessions() as session:
            tenant = await TenantRepository(session).get_by_slug(DEMO_TENANT)
            if tenant is None:
                tenant = await create_tenant(session, DEMO_TENANT, "Demo tenant")
            created = await create_key(session, tenant, hmac_secret=secret, name="demo")
            await session.commit()
    return created.secret


async def _demo_users(settings: Settings) -> dict[str, str]:
    """The console's demo sign-ins, ``{email: password}``: a platform admin and the demo tenant's
    owner, each with a new random password at every start (only its argon2id hash is stored)."""
    from sqlalchemy import select

    from trueport.db.models import Membership
    from trueport.platform.auth.passwords import Passwords
    from trueport.platform.users.repository import UserRepository
    from trueport.platform.users.service import create_user

    passwords = Passwords(settings.platform.password_hash_concurrency)
    signins: dict[str, str] = {}
    async with database(settings) as sessions, sessions() as session:
        tenant = await TenantRepository(session).get_by_slug(DEMO_TENANT)
        assert tenant is not None  # made by _demo_key
        for email, admin in ((DEMO_ADMIN, True), (DEMO_OWNER, False)):
            password = secrets.token_urlsafe(12)
            user = await UserRepository(session).by_email(email)
            if user is None:
                user = await create_user(
                    session,
                    passwords,
                    email=email,
                    name=email.split("@", 1)[0],
                    password=password,
                    min_password_length=settings.platform.password_min_length,
                    platform_admin=admin,
                )
            else:
                user.password_hash = await passwords.hash(password)
            if not admin:
                member = await session.scalar(
                    select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)
                )
                if member is None:
                    session.add(Membership(tenant_id=tenant.id, user_id=user.id, role="owner"))
            signins[email] = password
        await session.commit()
    return signins


def _free_port(host: str, port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"port {port} is busy: pass --port") from exc


def _instructions(base_url: str, key: str, signins: dict[str, str]) -> str:
    accounts = "\n".join(
        f"  {'platform admin' if email == DEMO_ADMIN else 'tenant owner  '} : {email}  password {password}"
        for email, password in signins.items()
    )
    return f"""
TruePort demo is running.

  console  : {base_url}/console/  (sign in, pick the tenant "{DEMO_TENANT}"; new passwords at every start)
{accounts}
  mail     : no SMTP server: invitations and password resets are kept in the outbox (console: Admin,
             Outbox), and their links are printed here as they are sent

  base URL : {base_url}/v1
  API key  : {key}
  models   : gpt-4o-mini, claude-sonnet-4-5, gemini-2.5-flash, azure-gpt-4o, smart, text-embedding-3-small

Try it with curl:

  curl -s {base_url}/v1/chat/completions \\
    -H "Authorization: Bearer {key}" -H "Content-Type: application/json" \\
    -d '{{"model": "gpt-4o-mini", "messages": [{{"role": "user", "content": "Hello, TruePort"}}]}}'

Or with the openai SDK (any Python with `pip install openai`; in a TruePort checkout, `uv run python`):

  python3 -c '
from openai import OpenAI
client = OpenAI(base_url="{base_url}/v1", api_key="{key}")
reply = client.chat.completions.create(model="claude-sonnet-4-5", messages=[{{"role": "user", "content": "Hello"}}])
print(reply.choices[0].message.content)'

Request records are in the request_records table of the SQLite database. Press Ctrl+C to stop.
"""


def mail_notice(mail: OutboxMail) -> str:
    """What the demo prints of a mail in the outbox: to whom, its subject and its links."""
    links = "".join(f"\n  {link}" for link in dict.fromkeys(_LINK.findall(mail.text)))
    return f"mail to {mail.recipient}: {mail.subject}{links}"


async def _print_outbox(settings: Settings) -> None:
    """Print each mail that reaches the outbox from now on (those of earlier runs are not news)."""
    async with database(settings) as sessions:
        outbox = Outbox(sessions)
        seen = {mail.id for mail in await outbox.recent(KEEP)}
        while True:
            await asyncio.sleep(OUTBOX_POLL_S)
            for mail in reversed(await outbox.recent(KEEP)):
                if mail.id not in seen:
                    seen.add(mail.id)
                    click.echo(mail_notice(mail))


def _public_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - naming it, not binding
    return f"http://{shown}:{port}"


async def _serve(host: str, port: int, database_path: Path) -> None:
    async with MockProvider(host="127.0.0.1", port=0, api_key=DEMO_PROVIDER_KEY) as mock:
        settings = demo_settings(database_path, mock.url, _public_url(host, port))
        key = await _demo_key(settings)
        signins = await _demo_users(settings)
        config = uvicorn.Config(
            create_app(settings), host=host, port=port, access_log=False, lifespan="on", log_level="warning"
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn exposes no event
            await asyncio.sleep(0.05)
        if not server.started:
            await serving
            return
        click.echo(_instructions(_public_url(host, port), key, signins))
        printing = asyncio.create_task(_print_outbox(settings))
        try:
            await serving
        finally:
            printing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await printing


def run_demo(*, host: str, port: int, database_path: str) -> None:
    configure_logging("warning")
    _free_port(host, port)
    path = Path(database_path).resolve()
    asyncio.run(_serve(host, port, path))
