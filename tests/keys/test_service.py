"""The data layer's key rules: creation, changes, revocation, rotation and status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import ApiKey, Tenant
from trueport.keys.crypto import hash_key, is_well_formed
from trueport.keys.service import (
    KeyError_,
    KeyInactive,
    KeyStatus,
    create_key,
    key_status,
    revoke,
    revoke_key,
    rotate_key,
    update_key,
)
from trueport.settings import async_database_url
from trueport.tenants.service import create_tenant

SECRET = b"s" * 32


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    sessions: SessionFactory = session_factory(engine)
    async with sessions() as session:
        yield session
    await engine.dispose()


@pytest.fixture
async def tenant(session: AsyncSession) -> Tenant:
    return await create_tenant(session, "acme")


async def test_create_stores_only_the_hash(session: AsyncSession, tenant: Tenant) -> None:
    created = await create_key(session, tenant, hmac_secret=SECRET, name="n", models=[" b", "a", "b"])
    assert is_well_formed(created.secret)
    assert created.key.key_hash == hash_key(SECRET, created.secret)
    assert created.secret not in (created.key.key_hash, created.key.prefix)
    assert created.key.models == ["a", "b"]
    assert key_status(created.key) is KeyStatus.ACTIVE


async def test_create_takes_one_kind_of_expiry(session: AsyncSession, tenant: Tenant) -> None:
    at = datetime.now(UTC) + timedelta(days=1)
    created = await create_key(session, tenant, hmac_secret=SECRET, expires_at=at)
    assert created.key.expires_at == at
    for options in (
        {"expires_at": at, "expires_in": timedelta(days=1)},
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
        {"expires_at": datetime(2999, 1, 1)},  # naive
        {"expires_in": timedelta(0)},
        {"rpm_limit": 0},
        {"tpm_limit": -5},
        {"models": []},
        {"name": "x" * 201},
    ):
        with pytest.raises(KeyError_):
            await create_key(session, tenant, hmac_secret=SECRET, **options)  # type: ignore[arg-type]


async def test_update_leaves_alone_what_is_not_given(session: AsyncSession, tenant: Tenant) -> None:
    key = (await create_key(session, tenant, hmac_secret=SECRET, name="a", models=["m"], rpm_limit=3)).key
    await update_key(session, key, tpm_limit=100)
    assert (key.name, key.models, key.rpm_limit, key.tpm_limit) == ("a", ["m"], 3, 100)
    await update_key(session, key, rpm_limit=None, models=None, name="b")
    assert (key.name, key.models, key.rpm_limit, key.tpm_limit) == ("b", None, None, 100)
    with pytest.raises(KeyError_, match="future"):
        await update_key(session, key, expires_at=datetime.now(UTC))
    await revoke(session, key)
    with pytest.raises(KeyInactive):
        await update_key(session, key, name="c")


async def test_revoke_is_idempotent_and_revoke_key_is_scoped(session: AsyncSession, tenant: Tenant) -> None:
    other = await create_tenant(session, "other")
    key = (await create_key(session, tenant, hmac_secret=SECRET)).key
    with pytest.raises(KeyError_, match="no key"):
        await revoke_key(session, other, key.id)
    first = (await revoke_key(session, tenant, key.id)).revoked_at
    assert first is not None
    await asyncio.sleep(0.01)
    assert (await revoke_key(session, tenant, key.id)).revoked_at == first
    assert key_status(key) is KeyStatus.REVOKED


async def test_rotation(session: AsyncSession, tenant: Tenant) -> None:
    end = datetime.now(UTC) + timedelta(hours=2)
    old = (
        await create_key(
            session,
            tenant,
            hmac_secret=SECRET,
            name="svc",
            models=["m"],
            rpm_limit=1,
            tpm_limit=2,
            expires_at=end,
        )
    ).key
    new = await rotate_key(session, old, hmac_secret=SECRET, overlap=timedelta(minutes=5))
    assert new.key.id != old.id and new.key.tenant_id == tenant.id
    assert (new.key.name, new.key.models, new.key.rpm_limit, new.key.tpm_limit) == ("svc", ["m"], 1, 2)
    assert new.key.expires_at == end
    assert old.expires_at is not None and old.expires_at < datetime.now(UTC) + timedelta(minutes=6)
    assert old.revoked_at is None

    longer = await rotate_key(session, new.key, hmac_secret=SECRET, overlap=timedelta(days=1))
    assert new.key.expires_at == end  # never extended by a rotation
    await rotate_key(session, longer.key, hmac_secret=SECRET, overlap=timedelta(0))
    assert key_status(longer.key) is KeyStatus.REVOKED
    with pytest.raises(KeyInactive, match="revoked"):
        await rotate_key(session, longer.key, hmac_secret=SECRET, overlap=timedelta(0))
    with pytest.raises(KeyError_, match="negative"):
        await rotate_key(session, new.key, hmac_secret=SECRET, overlap=timedelta(seconds=-1))


def test_status_prefers_revoked_over_expired() -> None:
    now = datetime.now(UTC)
    key = ApiKey(expires_at=now - timedelta(seconds=1), revoked_at=None)
    assert key_status(key, now) is KeyStatus.EXPIRED
    key.revoked_at = now - timedelta(days=1)
    assert key_status(key, now) is KeyStatus.REVOKED
    key.revoked_at, key.expires_at = None, now + timedelta(seconds=1)
    assert key_status(key, now) is KeyStatus.ACTIVE


async def test_an_expired_key_cannot_be_rotated(session: AsyncSession, tenant: Tenant) -> None:
    key = (await create_key(session, tenant, hmac_secret=SECRET)).key
    key.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with pytest.raises(KeyInactive, match="expired"):
        await rotate_key(session, key, hmac_secret=SECRET, overlap=timedelta(hours=1))
