"""The in-process key cache: hits without the database, revocations picked up by refresh (pushed by
the live-configuration watcher, or the periodic safety net)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import ApiKey
from trueport.keys.cache import KeyCache
from trueport.keys.service import create_key, revoke_key
from trueport.settings import async_database_url
from trueport.tenants.service import create_tenant

SECRET = b"k" * 32


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


async def test_lookup_refresh_and_revocation(sessions: SessionFactory) -> None:
    async with sessions() as session:
        tenant = await create_tenant(session, "acme")
        created = await create_key(
            session, tenant, hmac_secret=SECRET, models=["a", "b"], rpm_limit=5, expires_in=timedelta(days=1)
        )
        await session.commit()
    cache = KeyCache(sessions, SECRET, refresh_interval_s=60)
    await cache.refresh()
    info = await cache.lookup(created.secret)
    assert info is not None
    assert info.tenant_slug == "acme"
    assert info.models == frozenset({"a", "b"})
    assert info.allows("a") and not info.allows("c")
    assert info.rpm_limit == 5
    assert info.expires_at is not None
    last = "y" if created.secret.endswith("x") else "x"
    assert await cache.lookup(created.secret[:-1] + last) is None  # bad checksum, no lookup
    async with sessions() as session:
        await revoke_key(session, tenant, created.key.id)
        await session.commit()
    assert await cache.lookup(created.secret) is not None  # still cached until the next refresh
    await cache.refresh()
    assert await cache.lookup(created.secret) is None


async def test_a_new_key_is_found_before_the_next_refresh(sessions: SessionFactory) -> None:
    cache = KeyCache(sessions, SECRET, refresh_interval_s=60)
    await cache.refresh()
    async with sessions() as session:
        tenant = await create_tenant(session, "late")
        created = await create_key(session, tenant, hmac_secret=SECRET)
        await session.commit()
    assert cache.size == 0
    info = await cache.lookup(created.secret)
    assert info is not None
    assert cache.size == 1


async def test_a_hash_under_another_secret_does_not_match(sessions: SessionFactory) -> None:
    async with sessions() as session:
        tenant = await create_tenant(session, "acme")
        created = await create_key(session, tenant, hmac_secret=SECRET)
        await session.commit()
    cache = KeyCache(sessions, b"o" * 32, refresh_interval_s=60)
    await cache.refresh()
    assert await cache.lookup(created.secret) is None


async def test_a_refresh_forgets_remembered_misses(sessions: SessionFactory) -> None:
    """A key created after a failed attempt works as soon as the cache reloads (the live-config push),
    not only when the remembered miss expires."""
    async with sessions() as session:
        tenant = await create_tenant(session, "acme")
        created = await create_key(session, tenant, hmac_secret=SECRET)
        await session.commit()
        await revoke_key(session, tenant, created.key.id)
        await session.commit()
    cache = KeyCache(sessions, SECRET, refresh_interval_s=60)
    await cache.refresh()
    assert await cache.lookup(created.secret) is None  # revoked: the miss is remembered
    async with sessions() as session:
        key = await session.get(ApiKey, created.key.id)
        assert key is not None
        key.revoked_at = None  # as if reinstated
        await session.commit()
    assert await cache.lookup(created.secret) is None  # still the remembered miss: no query
    await cache.refresh()
    assert await cache.lookup(created.secret) is not None


async def test_the_safety_net_refresh_sees_a_change_nobody_announced(sessions: SessionFactory) -> None:
    """``key_refresh_interval_s`` bounds how long a revocation takes even with no push and no poll."""
    async with sessions() as session:
        tenant = await create_tenant(session, "acme")
        created = await create_key(session, tenant, hmac_secret=SECRET)
        await session.commit()
    cache = KeyCache(sessions, SECRET, refresh_interval_s=0.2)
    await cache.start()
    try:
        assert await cache.lookup(created.secret) is not None
        async with sessions() as session:
            await revoke_key(session, tenant, created.key.id)
            await session.commit()
        started = time.monotonic()
        while await cache.lookup(created.secret) is not None:
            assert time.monotonic() - started < 2
            await asyncio.sleep(0.02)
    finally:
        await cache.stop()
