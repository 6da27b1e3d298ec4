"""Master-key rotation: every data key is re-wrapped under the active key; the secrets stay as they are."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import structlog
import yaml
from click.testing import CliRunner
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from tests.platform.harness import ControlPlaneHarness

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory
from trueport.db.models import ProviderCredential, WebhookSubscription, new_id
from trueport.db.session import database
from trueport.platform.api_errors import install_error_handlers
from trueport.platform.credentials.commands import master_key
from trueport.platform.credentials.endpoints import admin_router
from trueport.platform.credentials.envelope import Envelope
from trueport.platform.credentials.rotation import rewrap_all
from trueport.platform.credentials.sealing import open_api_key, seal_api_key
from trueport.platform.webhooks.sealing import open_secret, seal_secret
from trueport.settings import load_settings
from trueport.tenants.service import create_tenant

K1, K2 = secrets.token_bytes(32), secrets.token_bytes(32)


async def _seed(sessions: SessionFactory, envelope: Envelope, count: int) -> dict[str, str]:
    """``count`` credentials spread over two tenants; their ids and API keys."""
    keys: dict[str, str] = {}
    async with sessions() as session:
        tenants = [await create_tenant(session, "a"), await create_tenant(session, "b")]
        for index in range(count):
            tenant = tenants[index % 2]
            row = ProviderCredential(
                id=new_id(),
                tenant_id=tenant.id,
                name=f"c{index}",
                type="openai",
                base_url="https://x.test/v1",
            )
            keys[row.id] = f"sk-key-number-{index:04d}"
            seal_api_key(envelope, row, SecretStr(keys[row.id]))
            session.add(row)
        await session.commit()
    return keys


async def _rows(sessions: SessionFactory) -> list[ProviderCredential]:
    async with sessions() as session:
        return list((await session.execute(select(ProviderCredential))).scalars())


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    settings = load_settings(database=database_url)
    await asyncio.to_thread(upgrade_empty_to_head, settings.database_url)
    async with database(settings) as factory:
        yield factory


async def test_rewrap_all_moves_every_data_key_in_batches(sessions: SessionFactory) -> None:
    keys = await _seed(sessions, Envelope({"k1": K1}, "k1"), 5)
    before = {row.id: row.ciphertext for row in await _rows(sessions)}
    rotated = Envelope({"k1": K1, "k2": K2}, "k2")
    assert await rewrap_all(sessions, rotated, batch_size=2) == 5
    only_new = Envelope({"k2": K2}, "k2")  # the old key can go now
    for row in await _rows(sessions):
        assert row.master_key_id == "k2" and row.ciphertext == before[row.id]
        assert open_api_key(only_new, row).get_secret_value() == keys[row.id]
    assert await rewrap_all(sessions, rotated) == 0


async def test_webhook_signing_secrets_are_rewrapped_too(sessions: SessionFactory) -> None:
    old = Envelope({"k1": K1}, "k1")
    await _seed(sessions, old, 2)
    secrets_by_id: dict[str, str] = {}
    async with sessions() as session:
        for name in ("w1", "w2", "w3"):
            tenant = await create_tenant(session, name)
            row = WebhookSubscription(id=new_id(), tenant_id=tenant.id, url="https://hooks.test/", topics=[])
            secrets_by_id[row.id] = f"whsec_{name}_{secrets.token_hex(8)}"
            seal_secret(old, row, secrets_by_id[row.id])
            session.add(row)
        await session.commit()
    assert await rewrap_all(sessions, Envelope({"k1": K1, "k2": K2}, "k2"), batch_size=2) == 2 + 3
    only_new = Envelope({"k2": K2}, "k2")  # the old key can go: every webhook still signs
    async with sessions() as session:
        rows = list((await session.execute(select(WebhookSubscription))).scalars())
    assert {row.master_key_id for row in rows} == {"k2"}
    assert {row.id: open_secret(only_new, row) for row in rows} == secrets_by_id


async def test_a_row_that_cannot_be_unwrapped_is_logged_and_left(sessions: SessionFactory) -> None:
    await _seed(sessions, Envelope({"k1": K1}, "k1"), 2)
    await _seed_lost(sessions)
    with structlog.testing.capture_logs() as logs:
        assert await rewrap_all(sessions, Envelope({"k1": K1, "k2": K2}, "k2"), batch_size=1) == 2
    failures = [entry for entry in logs if entry["event"] == "credential_rewrap_failed"]
    assert [entry["reason"] for entry in failures] == ["master_key_missing"]
    assert sorted(row.master_key_id for row in await _rows(sessions)) == ["k2", "k2", "lost"]


async def _seed_lost(sessions: SessionFactory) -> None:
    async with sessions() as session:
        tenant = await create_tenant(session, "c")
        row = ProviderCredential(
            id=new_id(), tenant_id=tenant.id, name="x", type="openai", base_url="https://x.test"
        )
        seal_api_key(Envelope({"lost": secrets.token_bytes(32)}, "lost"), row, SecretStr("sk-lost"))
        session.add(row)
        await session.commit()


async def test_the_admin_endpoint_rewraps_for_platform_admins_only(platform: ControlPlaneHarness) -> None:
    await _seed(platform.sessions, platform.platform.envelope, 3)
    configured = platform.platform.envelope
    rotated = Envelope({"k1": _configured_key(platform), "k2": K2}, "k2")
    app = FastAPI()
    app.state.platform = dataclasses.replace(platform.platform, envelope=rotated)
    install_error_handlers(app)
    app.include_router(admin_router, prefix="/api/v1")
    user = await platform.user("someone@acme.test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api") as client:
        refused = await client.post("/api/v1/admin/master-key/rewrap", headers=platform.auth(user))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "platform_admin_required"
        assert platform.settings.admin_token is not None
        admin = {"Authorization": f"Bearer {platform.settings.admin_token.get_secret_value()}"}
        done = await client.post("/api/v1/admin/master-key/rewrap", headers=admin)
    assert done.status_code == 200 and done.json() == {"rewrapped": 3, "active_master_key": "k2"}
    assert {row.master_key_id for row in await _rows(platform.sessions)} == {"k2"}
    assert configured.active == "k1"


def _configured_key(platform: ControlPlaneHarness) -> bytes:
    from trueport.platform.config import decode_master_key

    return decode_master_key(platform.settings.platform.master_keys["k1"].get_secret_value())


def test_the_command_rewraps_under_the_configured_active_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    from trueport import commandline

    monkeypatch.setattr(commandline, "configure_logging", lambda *_: None)  # logging is global: keep it

    url = f"sqlite:///{tmp_path}/trueport.db"
    keys = {"k1": base64.b64encode(K1).decode(), "k2": base64.b64encode(K2).decode()}

    async def seed() -> None:
        async with database(load_settings(database=url)) as factory:
            await _seed(factory, Envelope({"k1": K1}, "k1"), 3)

    asyncio.run(seed())
    config = tmp_path / "trueport.yaml"
    config.write_text(
        yaml.safe_dump({"database": url, "platform": {"master_keys": keys, "active_master_key": "k2"}})
    )
    with structlog.testing.capture_logs() as logs:
        result = CliRunner().invoke(master_key, ["rewrap", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "re-wrapped 3 secrets under master key k2\n"
    assert any(entry["event"] == "credentials_rewrapped" for entry in logs)

    async def check() -> set[str]:
        async with database(load_settings(database=url)) as factory:
            return {row.master_key_id for row in await _rows(factory)}

    assert asyncio.run(check()) == {"k2"}
