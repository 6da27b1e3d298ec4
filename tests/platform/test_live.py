"""Live configuration: the generation counter, its announcement, and the gateway's watcher (push, poll,
resync), on real databases, the in-process bus and a real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from tests.gateway.harness import PROVIDER_KEY
from tests.platform.harness import platform_settings, running_platform
from tests.support import free_port
from tests.support.redis import RedisServer, start_redis

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.keys.cache import KeyCache
from trueport.keys.service import create_key, revoke_key
from trueport.mockprovider import MockProvider
from trueport.platform.live import ConfigWatcher, GenerationStore, LiveConfig
from trueport.settings import async_database_url
from trueport.state.memory import MemoryState
from trueport.state.protocols import State
from trueport.state.redis import open_redis_state
from trueport.tenants.service import create_tenant

SECRET = b"k" * 32
PUSH_ONLY_S = 3600.0  # a poll interval that never elapses in a test: only the push can do it


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def sqlite_sessions(sqlite_database_url: str) -> AsyncIterator[SessionFactory]:
    url = async_database_url(sqlite_database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


class Recorder:
    """A reloader that counts its calls and can be told to fail (as with the database down)."""

    def __init__(self) -> None:
        self.calls = 0
        self.failures = 0

    async def __call__(self) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("database unreachable")
        self.calls += 1


async def eventually(condition: Callable[[], Awaitable[bool] | bool], within_s: float) -> float:
    """Seconds until ``condition`` held; fails after ``within_s``."""
    started = time.monotonic()
    while True:
        outcome = condition()
        if outcome if isinstance(outcome, bool) else await outcome:
            return time.monotonic() - started
        assert time.monotonic() - started < within_s, f"not within {within_s} s"
        await asyncio.sleep(0.01)


async def change(sessions: SessionFactory, live: LiveConfig, *, announce: bool = True) -> int:
    """What the unit of work does for a request that changed configuration: bump, commit, announce."""
    async with sessions() as session:
        generation = await live.bump(session)
        await session.commit()
    if announce:
        await live.announce(generation)
    return generation


async def test_bumps_are_distinct_and_ordered_under_concurrency(sessions: SessionFactory) -> None:
    live = LiveConfig(MemoryState(), sessions, poll_s=1)
    async with sessions() as session:
        assert await GenerationStore.read(session) == 0

    async def bump() -> int:
        async with sessions() as session:
            generation = await live.bump(session)
            await session.commit()
            return generation

    # Twenty writers at once, starting with no row at all: the first bumps race to create it.
    generations = await asyncio.gather(*(bump() for _ in range(20)))
    assert sorted(generations) == list(range(1, 21))
    async with sessions() as session:
        assert await GenerationStore.read(session) == 20
        await live.bump(session)
        await session.rollback()  # a change that was not committed leaves no trace
    async with sessions() as session:
        assert await GenerationStore.read(session) == 20
    assert await bump() == 21


async def test_an_announced_revocation_reaches_the_key_cache(sessions: SessionFactory) -> None:
    state = MemoryState()
    live = LiveConfig(state, sessions, poll_s=PUSH_ONLY_S)
    async with sessions() as session:
        tenant = await create_tenant(session, "acme")
        created = await create_key(session, tenant, hmac_secret=SECRET)
        await session.commit()
    keys = KeyCache(sessions, SECRET, refresh_interval_s=PUSH_ONLY_S)
    watcher = ConfigWatcher(state, sessions, poll_s=PUSH_ONLY_S, reloaders=[keys.refresh])
    await watcher.start()
    try:
        assert watcher.applied == 0
        assert await keys.lookup(created.secret) is not None
        async with sessions() as session:
            await revoke_key(session, tenant, created.key.id)
            generation = await live.bump(session)
            await session.commit()
        await live.announce(generation)
        elapsed = await eventually(lambda: watcher.applied == generation, within_s=2)
        assert await keys.lookup(created.secret) is None
        assert elapsed < 1
        # A message for a generation already applied (a duplicate, or an old one) reloads nothing.
        reloads = watcher.reloads
        await live.announce(generation)
        await live.announce(generation - 1)
        await asyncio.sleep(0.05)
        assert watcher.reloads == reloads
    finally:
        await watcher.stop()


async def test_a_missed_message_is_caught_by_the_poll(sqlite_sessions: SessionFactory) -> None:
    state = MemoryState()
    live = LiveConfig(state, sqlite_sessions, poll_s=0.2)
    recorder = Recorder()
    watcher = ConfigWatcher(state, sqlite_sessions, poll_s=0.2)
    watcher.add(recorder)
    await watcher.start()
    try:
        assert recorder.calls == 1  # the first load
        await asyncio.sleep(0.5)
        assert recorder.calls == 1  # an idle poll reads the generation and reloads nothing
        generation = await change(sqlite_sessions, live, announce=False)
        elapsed = await eventually(lambda: watcher.applied == generation, within_s=2)
        assert elapsed < 0.2 + 0.3
        assert recorder.calls == 2
    finally:
        await watcher.stop()


async def test_a_failed_reload_keeps_the_snapshot_and_is_retried(sqlite_sessions: SessionFactory) -> None:
    state = MemoryState()
    live = LiveConfig(state, sqlite_sessions, poll_s=0.2)
    failing, healthy = Recorder(), Recorder()
    watcher = ConfigWatcher(state, sqlite_sessions, poll_s=0.2, reloaders=[failing, healthy])
    await watcher.start()
    try:
        applied = watcher.applied
        failing.failures = 2
        generation = await change(sqlite_sessions, live)
        await eventually(lambda: failing.failures == 0, within_s=2)  # push, then one poll: both failed
        assert healthy.calls >= 2  # one failing reloader does not stop the others
        assert watcher.applied == applied  # not applied while a snapshot is behind
        # The generation has not moved since, yet the next poll reloads again, and this time it works.
        await eventually(lambda: watcher.applied == generation, within_s=2)
        assert failing.calls == 2
    finally:
        await watcher.stop()


async def test_a_failed_announcement_does_not_raise_and_the_poll_catches_up(
    sqlite_sessions: SessionFactory,
) -> None:
    unreachable = await open_redis_state(
        f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.05, local_share=1.0, probe_interval_s=0.1
    )
    gateway_state = MemoryState()  # another replica, which the message cannot reach
    watcher = ConfigWatcher(gateway_state, sqlite_sessions, poll_s=0.2)
    await watcher.start()
    try:
        generation = await change(sqlite_sessions, LiveConfig(unreachable, sqlite_sessions, poll_s=0.2))
        await eventually(lambda: watcher.applied == generation, within_s=2)
    finally:
        await watcher.stop()
        await unreachable.close()


async def test_two_replicas_receive_the_push_through_redis(
    sqlite_sessions: SessionFactory, redis_url: str
) -> None:
    states: list[State] = [
        await open_redis_state(redis_url, timeout_s=0.5, local_share=1.0) for _ in range(3)
    ]
    watchers = [ConfigWatcher(state, sqlite_sessions, poll_s=PUSH_ONLY_S) for state in states[:2]]
    for watcher in watchers:
        await watcher.start()
    try:
        generation = await change(sqlite_sessions, LiveConfig(states[2], sqlite_sessions, poll_s=1))
        elapsed = await eventually(lambda: all(w.applied == generation for w in watchers), within_s=2)
        assert elapsed < 1
    finally:
        for watcher in watchers:
            await watcher.stop()
        for state in states:
            await state.close()


async def test_messages_lost_while_redis_was_away_are_made_up_by_a_resync(
    sqlite_sessions: SessionFactory, own_redis: RedisServer
) -> None:
    state = await open_redis_state(own_redis.url, timeout_s=0.2, local_share=1.0, probe_interval_s=0.05)
    watcher = ConfigWatcher(state, sqlite_sessions, poll_s=PUSH_ONLY_S)
    await watcher.start()
    try:
        own_redis.kill()
        # Changed while this replica cannot hear it (published by a control plane that reached Redis
        # or not: here, not at all).
        generation = await change(
            sqlite_sessions, LiveConfig(state, sqlite_sessions, poll_s=1), announce=False
        )
        await asyncio.sleep(0.2)
        assert watcher.applied == generation - 1
        own_redis.restart()
        await eventually(lambda: watcher.applied == generation, within_s=5)
    finally:
        await watcher.stop()
        await state.close()


async def test_the_gateway_applies_a_change_and_readyz_shows_its_generation(database_url: str) -> None:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        settings = platform_settings(
            database_url, mock.url, key_refresh_interval_s=PUSH_ONLY_S, platform={"live_config_poll_s": 60}
        )
        async with running_platform(settings) as harness:
            tenant = await harness.tenant("acme")
            async with harness.sessions() as session:
                created = await create_key(session, tenant, hmac_secret=harness.platform.key_secret)
                await session.commit()
            body = {"model": "oa", "messages": [{"role": "user", "content": "hi"}]}
            auth = {"Authorization": f"Bearer {created.secret}"}
            assert (
                await harness.client.post("/v1/chat/completions", json=body, headers=auth)
            ).status_code == 200
            assert (await harness.client.get("/readyz")).json()["config_generation"] == 0

            live = harness.platform.live
            async with harness.sessions() as session:
                await revoke_key(session, tenant, created.key.id)
                generation = await live.bump(session)
                await session.commit()
            await live.announce(generation)

            async def refused() -> bool:
                answer = await harness.client.post("/v1/chat/completions", json=body, headers=auth)
                return answer.status_code == 401

            assert await eventually(refused, within_s=2) < 1

            # The keys reload first; the generation counts as applied once every reloader has run.
            async def applied() -> bool:
                ready = (await harness.client.get("/readyz")).json()
                return bool(ready["config_generation"] == generation)

            assert await eventually(applied, within_s=2) < 1
