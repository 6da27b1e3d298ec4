"""Breakers shared through a real Redis: several replicas, Redis ``TIME``, Redis going away and back."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from prometheus_client import generate_latest
from redis.asyncio import Redis

from support.redis import RedisServer, start_redis
from trueport.limits.breaker import BreakerPolicy, BreakerRegistry, Permit, State
from trueport.limits.breaker_redis import RedisBreakerStore, shared_breaker_store
from trueport.limits.breaker_store import FallbackBreakerStore, MemoryBreakerStore
from trueport.metrics import REGISTRY
from trueport.settings import ResilienceConfig

T = "oa/gpt-4o"
PROBES = 3


def fast_policy(**overrides: object) -> BreakerPolicy:
    values: dict[str, object] = {
        "window_s": 5.0,
        "min_calls": 1000,
        "consecutive_failures": 3,
        "slow_call_s": None,
        "open_s": 0.3,
        "open_max_s": 1.0,
        "open_jitter": 0.0,
        "half_open_probes": PROBES,
        "probe_ttl_s": 30.0,
    }
    values.update(overrides)
    return BreakerPolicy(**values)  # type: ignore[arg-type]


@pytest.fixture(params=[0.0, 0.1], ids=["strict", "synced"])
async def replicas(redis_url: str, request: pytest.FixtureRequest) -> AsyncIterator[list[BreakerRegistry]]:
    """Three registries, each with its own client and store: three gateway replicas.

    ``strict`` asks Redis for every permit; ``synced`` serves closed-state permits from a view up to
    100 ms old (the default). Probes are strict in both.
    """
    clients = [Redis.from_url(redis_url) for _ in range(3)]
    try:
        # A generous timeout: these tests are about shared state, not about degrading on a slow box.
        yield [
            BreakerRegistry(
                FallbackBreakerStore(RedisBreakerStore(client, timeout_s=5.0, sync_s=request.param)),
                fast_policy(),
                labels=[T],
            )
            for client in clients
        ]
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


async def fail(registry: BreakerRegistry, times: int = 1) -> None:
    for _ in range(times):
        permit = await registry.allow(T)
        assert permit is not None
        await registry.record(permit, ok=False, duration_s=0.01)


async def test_an_open_breaker_is_respected_by_every_replica(replicas: list[BreakerRegistry]) -> None:
    first, *others = replicas
    await fail(first, 3)
    await asyncio.sleep(0.1)  # the synced replicas' views of "closed" (had they any) are stale now
    for registry in replicas:
        assert await registry.allow(T) is None
    (state,) = await others[0].snapshot()
    assert state.state is State.OPEN
    assert state.opened_until == pytest.approx(time.time() + 0.3, abs=0.2)


async def test_probes_across_replicas_never_exceed_the_permitted_count(
    replicas: list[BreakerRegistry],
) -> None:
    await fail(replicas[0], 3)
    for round_number in range(3):
        await asyncio.sleep(0.3 * 2**round_number + 0.05)  # the interval doubles after a failing probe
        # Every replica asks many times at once, as a burst of requests would.
        asks = [registry.allow(T) for _ in range(40) for registry in replicas]
        permits = [permit for permit in await asyncio.gather(*asks) if permit is not None]
        assert len(permits) == PROBES
        assert not any(permit.local for permit in permits)
        assert all(permit.probe is not None for permit in permits)
        assert len({permit.epoch for permit in permits}) == 1
        (state,) = await replicas[1].snapshot()
        assert state.state is State.HALF_OPEN
        assert state.probes_in_flight == PROBES
        if round_number < 2:
            await replicas[2].record(permits[0], ok=False, duration_s=0.01)  # re-opens, for longer
            for registry in replicas:
                assert await registry.allow(T) is None
    for permit, registry in zip(permits, replicas, strict=True):
        await registry.record(permit, ok=True, duration_s=0.01)
    for registry in replicas:
        after = await registry.allow(T)
        assert after is not None and after.probe is None  # closed


async def test_probes_stay_within_the_limit_under_concurrent_traffic(replicas: list[BreakerRegistry]) -> None:
    """Three replicas send traffic to a target that fails half the time, for two seconds."""
    policy = fast_policy(open_s=0.05, open_max_s=0.2)
    registries = [
        BreakerRegistry(registry._store, policy, labels=[T], rng=random.Random(i))
        for i, registry in enumerate(replicas)
    ]
    granted: list[Permit] = []
    outcomes = random.Random(0)

    async def traffic(registry: BreakerRegistry) -> None:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            permit = await registry.allow(T)
            if permit is None:
                await asyncio.sleep(0.002)
                continue
            granted.append(permit)
            await asyncio.sleep(outcomes.uniform(0, 0.01))
            await registry.record(permit, ok=outcomes.random() < 0.5, duration_s=0.005)

    await asyncio.gather(*(traffic(registry) for registry in registries for _ in range(5)))
    assert not any(permit.local for permit in granted)
    assert all(registry.backend == "redis" for registry in registries)
    probes_per_episode = Counter(permit.epoch for permit in granted if permit.probe is not None)
    assert len(probes_per_episode) >= 5  # it opened and probed again and again
    assert max(probes_per_episode.values()) <= PROBES
    closed_epochs = {permit.epoch for permit in granted if permit.probe is None}
    assert not closed_epochs & set(probes_per_episode)  # no ordinary call inside a half-open episode


async def test_keys_and_their_ttls(redis_url: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        store = RedisBreakerStore(client)
        registry = BreakerRegistry(store, fast_policy(), labels=[T])
        await fail(registry, 3)
        await asyncio.sleep(0.35)
        assert await registry.allow(T) is not None
        key, probes = store.keys(T)
        assert (key, probes) == ("trueport:breaker:{oa/gpt-4o}", "trueport:breaker:{oa/gpt-4o}:probes")
        assert sorted(await client.keys("trueport:breaker:*")) == [key, probes]
        ttl = fast_policy().key_ttl_s
        assert 0 < await client.ttl(key) <= ttl
        assert 0 < await client.ttl(probes) <= ttl
        fields = await client.hgetall(key)
        assert fields["st"] == "1"
        assert fields["oc"] == "1"
    finally:
        await client.aclose()


async def test_redis_killed_falls_back_to_local_state_and_recovers(private_redis: RedisServer) -> None:
    config = ResilienceConfig(breaker_store_timeout_ms=100, breaker_store_recheck_s=0.2)
    client = Redis.from_url(private_redis.url)
    other_client = Redis.from_url(private_redis.url)
    try:
        store = shared_breaker_store(client, config)
        registry = BreakerRegistry(store, fast_policy(), labels=[T])
        other = BreakerRegistry(RedisBreakerStore(other_client), fast_policy(), labels=[T])
        permit = await registry.allow(T)
        assert permit is not None and not permit.local
        assert registry.backend == "redis"

        private_redis.kill()
        await asyncio.sleep(0.12)  # past breaker_sync_ms: the next permit is asked of Redis
        started = time.monotonic()
        permit = await registry.allow(T)  # no exception: local state
        assert permit is not None and permit.local
        assert time.monotonic() - started < 0.5
        assert registry.backend == "redis (degraded: local state)"
        assert "trueport_breaker_store_degraded 1.0" in generate_latest(REGISTRY).decode()
        await registry.record(permit, ok=False, duration_s=0.01)
        await fail(registry, 2)  # three in a row, counted locally
        assert await registry.allow(T) is None  # the local breaker opened
        (state,) = await registry.snapshot()
        assert state.state is State.OPEN

        private_redis.restart()  # empty: the shared breaker is closed
        await asyncio.sleep(0.25)  # past recheck_s
        for _ in range(20):  # the first operation after recheck_s finds Redis again
            permit = await registry.allow(T)
            if permit is not None and not permit.local:
                break
            await asyncio.sleep(0.05)
        assert permit is not None and not permit.local
        assert registry.backend == "redis"
        assert "trueport_breaker_store_degraded 0.0" in generate_latest(REGISTRY).decode()
        await fail(other, 3)  # another replica opens it in Redis: this one sees it again
        await asyncio.sleep(0.12)  # once its view is older than breaker_sync_ms
        assert await registry.allow(T) is None
    finally:
        await client.aclose()
        await other_client.aclose()


async def test_an_unresponsive_redis_costs_at_most_the_timeout() -> None:
    """A Redis that accepts connections and never answers (a black hole)."""
    connections: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while await reader.read(4096):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = Redis(host="127.0.0.1", port=port)
    try:
        store = FallbackBreakerStore(
            RedisBreakerStore(client, timeout_s=0.1), MemoryBreakerStore(), recheck_s=5
        )
        registry = BreakerRegistry(store, fast_policy(), labels=[T])
        started = time.monotonic()
        permit = await registry.allow(T)
        assert permit is not None and permit.local
        assert time.monotonic() - started < 0.3
        started = time.monotonic()
        for _ in range(100):  # degraded: no more waiting on Redis until recheck_s
            permit = await registry.allow(T)
            assert permit is not None
            await registry.record(permit, ok=True, duration_s=0.01)
        assert time.monotonic() - started < 0.1
    finally:
        await client.aclose()
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_bare_store_that_fails_lets_calls_through() -> None:
    client = Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.1)
    try:
        registry = BreakerRegistry(RedisBreakerStore(client, timeout_s=0.2), fast_policy(), labels=[T])
        for _ in range(5):
            permit = await registry.allow(T)
            assert permit is not None
            await registry.record(permit, ok=False, duration_s=0.01)
        assert await registry.snapshot() == []
    finally:
        await client.aclose()


async def test_synced_views_save_round_trips(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        store = RedisBreakerStore(client, sync_s=0.1)
        registry = BreakerRegistry(store, fast_policy(), labels=[T])
        for _ in range(500):
            permit = await registry.allow(T)
            assert permit is not None
            await registry.record(permit, ok=True, duration_s=0.01)
        assert store.round_trips <= 2  # the first permit, and one refresh if the loop took 100 ms
        await asyncio.sleep(0.11)
        assert await registry.allow(T) is not None  # refreshes the view, sending the batch along
        (state,) = await registry.snapshot()
        assert state.calls == 500
        assert state.failure_rate == 0
    finally:
        await client.aclose()


async def test_a_synced_replica_sends_failures_at_once(redis_url: str) -> None:
    clients = [Redis.from_url(redis_url) for _ in range(2)]
    try:
        first, second = (
            BreakerRegistry(RedisBreakerStore(client, sync_s=0.1), fast_policy(), labels=[T])
            for client in clients
        )
        assert await second.allow(T) is not None  # its view: closed, fresh
        await fail(first, 3)  # each failure goes to Redis at once: the third opens the breaker
        (state,) = await first.snapshot()
        assert state.state is State.OPEN
        assert await first.allow(T) is None
        late = await second.allow(T)  # its view is still fresh: one call starts (the documented price)
        assert late is not None
        await second.record(late, ok=False, duration_s=0.01)  # ... and its failure brings the news
        assert await second.allow(T) is None
    finally:
        for client in clients:
            await client.aclose()


async def test_a_synced_view_expires(redis_url: str) -> None:
    clients = [Redis.from_url(redis_url) for _ in range(2)]
    try:
        first, second = (
            BreakerRegistry(RedisBreakerStore(client, sync_s=0.1), fast_policy(), labels=[T])
            for client in clients
        )
        assert await second.allow(T) is not None
        await fail(first, 3)
        await asyncio.sleep(0.1)
        assert await second.allow(T) is None
    finally:
        for client in clients:
            await client.aclose()


def test_sync_stays_under_a_quarter_of_the_shortest_open_interval() -> None:
    store = RedisBreakerStore(Redis(), sync_s=1.0)
    assert store._sync(fast_policy(open_s=0.4, open_jitter=0.5)) == pytest.approx(0.05)
    assert store._sync(fast_policy(open_s=10.0)) == 1.0
