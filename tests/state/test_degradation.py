"""Redis going away and coming back: no exception reaches the caller, local limits apply at their
share, ``degraded`` says so, and the state is shared again within a few seconds. Each test starts
its own ``redis-server`` to kill."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import structlog
from redis.asyncio import Redis

from support import free_port
from support.redis import RedisServer, start_redis
from trueport.settings import LimitsConfig, Settings
from trueport.state import Cell, Message, State, Window, open_state, scripts

PROBE_S = 0.2


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


async def open_shared(url: str, share: float = 0.5, timeout_ms: int = 100) -> State:
    settings = Settings(redis=url, redis_timeout_ms=timeout_ms, limits=LimitsConfig(local_share=share))
    return await open_state(settings, probe_interval_s=PROBE_S)


async def wait_until(condition: object, timeout_s: float = 5.0) -> float:
    """Seconds until ``condition()`` held; fails after ``timeout_s``."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > timeout_s:
            pytest.fail(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_kill_under_load_serves_locally_then_recovers(own_redis: RedisServer) -> None:
    state = await open_shared(own_redis.url)
    errors: list[BaseException] = []
    done = asyncio.Event()

    async def load(worker: int) -> None:
        n = 0
        while not done.is_set():
            n += 1
            try:
                await state.counters.reserve([Window(f"load:{worker}", 1_000_000)], 1, 60)
                await state.kv.set(f"kv:{worker}", str(n).encode(), 60)
                await state.kv.get(f"kv:{worker}")
            except BaseException as exc:
                errors.append(exc)
                raise
            await asyncio.sleep(0)

    try:
        with structlog.testing.capture_logs() as logs:
            workers = [asyncio.create_task(load(i)) for i in range(20)]
            await asyncio.sleep(0.2)
            assert not state.degraded
            own_redis.kill()
            await wait_until(lambda: state.degraded, timeout_s=2)
            await asyncio.sleep(0.5)  # keep the load on while degraded
            assert state.fallbacks > 0
            own_redis.restart()
            recovered_in = await wait_until(lambda: not state.degraded, timeout_s=5)
            assert recovered_in < 3 * PROBE_S + 1
            await asyncio.sleep(0.3)
            done.set()
            await asyncio.gather(*workers)
        assert errors == []
        events = [entry["event"] for entry in logs]
        assert events.count("state_redis_unreachable") == 1  # one line per transition, not per call
        assert events.count("state_redis_recovered") == 1
        # Shared again: what one state writes now is in Redis (the restarted server, scripts and all).
        assert (await state.counters.reserve([Window("after", 5)], 2, 60)).counts == (2,)
        client = Redis.from_url(own_redis.url)
        try:
            assert await client.get("after") == b"2"
        finally:
            await client.aclose()
    finally:
        done.set()
        await state.close()


async def test_degraded_limits_are_the_local_share(own_redis: RedisServer) -> None:
    state = await open_shared(own_redis.url, share=0.5)
    try:
        own_redis.kill()
        results = [await state.counters.reserve([Window("w", 10), Window("t", 3)], 1, 60) for _ in range(4)]
        assert state.degraded
        assert [r.admitted for r in results] == [True, False, False, False]  # 3 * 0.5 -> 1
        assert results[0].limits == (5, 1)
        cells = [await state.cells.acquire([Cell("c", 600, 60, 60)], 1, 1000.0) for _ in range(31)]
        assert sum(p.admitted for p in cells) == 30  # the burst of 60 at half
        assert cells[0].limits == (300,)
        assert await state.kv.set_if_absent("k", b"1", 60)
        assert await state.kv.get("k") == b"1"
        assert state.fallbacks == 4 + 31 + 2
    finally:
        await state.close()


async def test_starts_degraded_when_redis_is_down_and_recovers_when_it_comes_up(
    own_redis: RedisServer,
) -> None:
    own_redis.kill()
    state = await open_shared(own_redis.url)
    try:
        assert state.degraded
        assert (await state.counters.reserve([Window("w", 2)], 1, 60)).limits == (1,)
        own_redis.restart()
        await wait_until(lambda: not state.degraded)
        assert (await state.counters.reserve([Window("w", 2)], 1, 60)).limits == (2,)
    finally:
        await state.close()


@contextlib.asynccontextmanager
async def black_hole() -> AsyncIterator[str]:
    """A server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    port = free_port()
    server = await asyncio.start_server(swallow, "127.0.0.1", port, family=socket.AF_INET)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_redis_that_never_answers_costs_one_timeout() -> None:
    async with black_hole() as url:
        started = time.monotonic()
        state = await open_shared(url, timeout_ms=50)
        try:
            assert state.degraded  # the first probe timed out
            assert time.monotonic() - started < 1.0
            calls = time.monotonic()
            results = await asyncio.gather(
                *(state.counters.reserve([Window("w", 4)], 1, 60) for _ in range(50))
            )
            assert time.monotonic() - calls < 0.1  # served locally at once, no timeout each
            assert sum(r.admitted for r in results) == 2
        finally:
            await state.close()


async def test_a_redis_that_stops_answering_times_out_within_the_limit(own_redis: RedisServer) -> None:
    """Connected and healthy, then silent (CLIENT PAUSE): calls in flight end after the timeout and
    are served locally; the state is shared again once Redis answers."""
    state = await open_shared(own_redis.url, timeout_ms=50)
    client = Redis.from_url(own_redis.url)
    try:
        assert (await state.counters.reserve([Window("w", 4)], 1, 60)).counts == (1,)
        await client.execute_command("CLIENT", "PAUSE", 800, "ALL")
        started = time.monotonic()
        results = await asyncio.gather(*(state.counters.reserve([Window("w", 4)], 1, 60) for _ in range(10)))
        assert time.monotonic() - started < 0.05 + 0.25
        assert state.degraded
        assert sum(r.admitted for r in results) == 2  # 4 * 0.5, counted here alone
        await wait_until(lambda: not state.degraded, timeout_s=3)
        # The calls that timed out were queued in Redis and ran when the pause ended: counted there too.
        assert (await state.counters.reserve([Window("w", 4)], 1, 60)).limits == (4,)
    finally:
        await client.aclose()
        await state.close()


async def test_subscription_resyncs_after_an_outage(own_redis: RedisServer) -> None:
    state = await open_shared(own_redis.url)
    try:
        async with state.pubsub.subscribe("config") as messages:
            await state.pubsub.publish("config", b"1")
            assert await asyncio.wait_for(messages.__anext__(), 2) == Message("config", b"1")
            own_redis.kill()
            await state.pubsub.publish("config", b"2")  # Redis is gone: this process still hears it
            assert await asyncio.wait_for(messages.__anext__(), 2) == Message("config", b"2")
            own_redis.restart()
            # Back: the subscriber is told that it may have missed messages, then hears new ones.
            assert await asyncio.wait_for(messages.__anext__(), 5) == Message("config", b"", resync=True)
            await wait_until(lambda: not state.degraded)
            await state.pubsub.publish("config", b"3")
            assert await asyncio.wait_for(messages.__anext__(), 2) == Message("config", b"3")
    finally:
        await state.close()


async def test_scripts_are_loaded_again_after_a_restart(own_redis: RedisServer) -> None:
    state = await open_shared(own_redis.url)
    client = Redis.from_url(own_redis.url)
    try:
        assert (await state.cells.acquire([Cell("c", 60, 60, 2)], 1, 1000.0)).admitted
        own_redis.restart()  # an empty script cache: EVALSHA answers NOSCRIPT
        await asyncio.sleep(0.1)  # the client sees its connection close, and reconnects on the next call
        fallbacks = state.fallbacks
        assert (await state.cells.acquire([Cell("c", 60, 60, 2)], 1, 1000.0)).limits == (60,)
        assert (await state.counters.reserve([Window("w", 2)], 1, 60)).limits == (2,)
        assert state.fallbacks == fallbacks  # served by Redis, not locally
        assert not state.degraded
        assert await client.script_exists(scripts.LuaScript(scripts.GCRA_ACQUIRE).sha) == [True]
    finally:
        await client.aclose()
        await state.close()
