"""Failover with breakers, retries and deadlines against real upstreams over HTTP.

Real adapters call the provider emulator (``flaky=2``, ``hang``) or a small upstream this test
controls; "replicas" are separate breaker registries, stores and Redis clients sharing one Redis.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis
from tests.gateway.harness import PROVIDER_KEY

from support.redis import start_redis
from trueport.errors import UpstreamFailed
from trueport.gateway.failover import Resilience, call_with_failover
from trueport.gateway.router import Target
from trueport.gateway.streaming import OpenedStream, open_stream
from trueport.jsonutil import JSONObject
from trueport.limits.breaker import BreakerPolicy, BreakerRegistry, Permit, State
from trueport.limits.breaker_redis import RedisBreakerStore, shared_breaker_store
from trueport.limits.breaker_store import FallbackBreakerStore, MemoryBreakerStore
from trueport.mockprovider import MockProvider
from trueport.providers.base import ChatCompletion
from trueport.providers.registry import build_adapter
from trueport.providers.wrappers import RetryBudget, RetryPolicy
from trueport.settings import ProviderConfig, ResilienceConfig
from trueport.usage.records import RequestRecordData

HELLO: JSONObject = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
PROBES = 3
POLICY = BreakerPolicy(
    window_s=10.0,
    min_calls=10,
    failure_rate=0.5,
    consecutive_failures=5,
    slow_call_s=None,
    open_s=0.2,
    open_max_s=1.0,
    open_jitter=0.2,
    half_open_probes=PROBES,
    probe_ttl_s=10.0,
)


class LoggingRegistry(BreakerRegistry):
    """A registry that keeps every permit it grants, to count probes afterwards."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.granted: list[Permit] = []

    async def allow(self, label: str) -> Permit | None:
        permit = await super().allow(label)
        if permit is not None:
            self.granted.append(permit)
        return permit


@dataclass
class Replica:
    registry: LoggingRegistry
    resilience: Resilience


@dataclass
class Upstream:
    """An OpenAI-compatible upstream whose health the test switches: ``flaky`` fails every 2nd call."""

    mode: str = "flaky"
    calls: int = 0
    served: list[str] = field(default_factory=list)

    async def chat(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.served.append(self.mode)
        if self.mode == "down" or (self.mode == "flaky" and self.calls % 2 == 0):
            return web.json_response({"error": {"message": "overloaded", "type": "server_error"}}, status=503)
        return web.json_response(
            {
                "id": f"chatcmpl-{self.calls}",
                "object": "chat.completion",
                "created": 0,
                "model": "own",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def own_upstream() -> AsyncIterator[tuple[Upstream, str]]:
    upstream = Upstream()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", upstream.chat)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield upstream, f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


@pytest.fixture
async def redis_clients(redis_url: str) -> AsyncIterator[list[Redis]]:
    clients = [Redis.from_url(redis_url) for _ in range(3)]
    yield clients
    for client in clients:
        await client.aclose()


def target(name: str, base_url: str, model: str, http: aiohttp.ClientSession) -> Target:
    config = ProviderConfig(type="openai", base_url=base_url, api_key=PROVIDER_KEY, timeout_s=30)
    return Target(name, model, build_adapter(name, config, http))


def replica(
    client: Redis | None,
    seed: int,
    *,
    deadline_s: float = 10.0,
    sync_s: float = 0.0,
    policy: BreakerPolicy = POLICY,
    **retry: Any,
) -> Replica:
    shared = RedisBreakerStore(client, timeout_s=5.0, sync_s=sync_s) if client is not None else None
    store = FallbackBreakerStore(shared) if shared is not None else MemoryBreakerStore()
    registry = LoggingRegistry(store, policy, rng=random.Random(seed))
    resilience = Resilience(
        breakers=registry,
        retry=RetryPolicy(**{"max_attempts": 2, "backoff_s": 0.005, "backoff_max_s": 0.02, **retry}),
        budget=RetryBudget(ratio=0.2, min_per_s=5.0),
        deadline_s=deadline_s,
        rng=random.Random(seed),
    )
    return Replica(registry, resilience)


async def chat(targets: tuple[Target, ...], resilience: Resilience) -> tuple[Target, ChatCompletion]:
    record = RequestRecordData(id="r", created_at=datetime.now(UTC), endpoint="/v1/chat/completions")

    async def attempt(target: Target) -> ChatCompletion:
        return await target.adapter.chat(HELLO, target.model)

    return await call_with_failover(targets, attempt, record, resilience=resilience)


def probes_per_episode(replicas: list[Replica], label: str) -> Counter[int]:
    """Probe permits granted across every replica, per half-open episode (epoch)."""
    return Counter(
        permit.epoch
        for r in replicas
        for permit in r.registry.granted
        if permit.label == label and permit.probe is not None
    )


@pytest.mark.parametrize("sync_s", [0.0, 0.1], ids=["strict", "synced"])
async def test_a_flaky_target_behind_failover(
    mock: MockProvider, http: aiohttp.ClientSession, redis_clients: list[Redis], sync_s: float
) -> None:
    """``flaky=2`` fails every second call: failover keeps clients whole, the breaker sheds the target."""
    bad = target("bad", f"{mock.url}/v1", "gpt-4o+flaky=2", http)
    good = target("good", f"{mock.url}/v1", "gpt-4o-mini", http)
    bad_calls = Counter[str]()

    class Counting:
        def __init__(self, inner: Any):
            self.inner = inner

        async def chat(self, request: JSONObject, model: str) -> ChatCompletion:
            bad_calls["sent"] += 1
            result: ChatCompletion = await self.inner.chat(request, model)
            return result

    bad = Target(bad.provider, bad.model, Counting(bad.adapter))  # type: ignore[arg-type]
    replicas = [replica(client, seed, sync_s=sync_s) for seed, client in enumerate(redis_clients)]
    total, ok = 1000, 0
    served = Counter[str]()
    gate = asyncio.Semaphore(20)

    async def one(i: int) -> None:
        nonlocal ok
        async with gate:
            try:
                chosen, _completion = await chat((bad, good), replicas[i % len(replicas)].resilience)
            except UpstreamFailed:
                return
            ok += 1
            served[chosen.provider] += 1
            await asyncio.sleep(0.002)  # spread the run over time, so open intervals pass

    await asyncio.gather(*(one(i) for i in range(total)))

    assert ok / total >= 0.999
    granted_to_bad = [p for r in replicas for p in r.registry.granted if p.label == bad.label]
    assert bad_calls["sent"] == len(granted_to_bad)  # nothing reached the bad target without a permit
    episodes = probes_per_episode(replicas, bad.label)
    assert episodes, "the breaker never opened"
    assert max(episodes.values()) <= PROBES  # across all three replicas
    assert bad_calls["sent"] < total / 2  # it was shed: most requests went straight to the good target
    assert served["good"] > total / 2
    assert not any(p.local for r in replicas for p in r.registry.granted)


async def test_the_breaker_closes_when_the_target_recovers(
    own_upstream: tuple[Upstream, str],
    mock: MockProvider,
    http: aiohttp.ClientSession,
    redis_clients: list[Redis],
) -> None:
    upstream, url = own_upstream
    primary = target("primary", url, "own", http)
    backup = target("backup", f"{mock.url}/v1", "gpt-4o-mini", http)
    replicas = [replica(client, seed) for seed, client in enumerate(redis_clients[:2])]

    async def state() -> State:
        (found,) = [s for s in await replicas[0].registry.snapshot() if s.label == primary.label]
        return found.state

    for i in range(200):
        chosen, _ = await chat((primary, backup), replicas[i % 2].resilience)
        if await state() is State.OPEN:
            break
    else:
        pytest.fail("the breaker did not open")
    calls_when_opened = upstream.calls

    upstream.mode = "ok"
    deadline = time.monotonic() + 10
    while await state() is not State.CLOSED:
        assert time.monotonic() < deadline, "the breaker did not close"
        await chat((primary, backup), replicas[0].resilience)
        await chat((primary, backup), replicas[1].resilience)
        await asyncio.sleep(0.01)
    assert upstream.calls - calls_when_opened <= 2 * PROBES  # probes only (the last episode may have failed)

    for i in range(10):  # closed again: the primary serves
        chosen, _ = await chat((primary, backup), replicas[i % 2].resilience)
        assert chosen is primary
    episodes = probes_per_episode(replicas, primary.label)
    assert max(episodes.values()) <= PROBES


async def test_a_black_holed_target_costs_at_most_the_attempt_timeout(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    hole = target("hole", f"{mock.url}/v1", "m+hang", http)
    good = target("good", f"{mock.url}/v1", "gpt-4o-mini", http)
    # Open for long enough that the last request surely finds it open on a busy machine.
    policy = replica(None, 0, attempt_timeout_s=0.3, max_attempts=1, policy=replace(POLICY, open_s=30.0))
    latencies: list[float] = []

    async def one() -> None:
        started = time.monotonic()
        chosen, _ = await chat((hole, good), policy.resilience)
        latencies.append(time.monotonic() - started)
        assert chosen is good

    await asyncio.gather(*(one() for _ in range(20)))
    assert max(latencies) < 0.3 + 0.25
    await one()  # five timeouts in a row opened the breaker: now the hole is skipped
    assert latencies[-1] < 0.1


async def test_a_black_holed_only_target_fails_at_the_deadline(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    hole = target("hole", f"{mock.url}/v1", "m+hang", http)
    also = target("also", f"{mock.url}/v1", "n+hang", http)
    policy = replica(None, 0, deadline_s=0.8)
    latencies: list[float] = []

    async def one() -> None:
        started = time.monotonic()
        with pytest.raises(UpstreamFailed) as caught:
            await chat((hole, also), policy.resilience)
        latencies.append(time.monotonic() - started)
        assert caught.value.status in (502, 503)

    await asyncio.gather(*(one() for _ in range(10)))
    assert max(latencies) < 0.8 + 0.25


async def test_streams_fail_over_before_their_first_chunk(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    hole = target("hole", f"{mock.url}/v1", "m+hang", http)
    flaky = target("flaky", f"{mock.url}/v1", "gpt-4o+flaky=2", http)
    policy = replica(None, 0, attempt_timeout_s=0.3)
    request = dict(HELLO, stream=True)

    async def attempt(target: Target) -> OpenedStream[JSONObject]:
        return await open_stream(target.adapter.chat_stream(request, target.model))

    for _ in range(4):  # flaky's failures are retried on flaky, within the attempt budget
        record = RequestRecordData(id="r", created_at=datetime.now(UTC), endpoint="/v1/chat/completions")
        started = time.monotonic()
        chosen, opened = await call_with_failover(
            (hole, flaky), attempt, record, resilience=policy.resilience
        )
        try:
            assert chosen is flaky
            assert opened.first["object"] == "chat.completion.chunk"
            assert [chunk async for chunk in opened.chunks]
        finally:
            await opened.stream.aclose()
        assert time.monotonic() - started < 0.3 * 2 + 0.5


async def test_redis_killed_under_load_fails_no_request(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    """Breaker state falls back to local memory while Redis is down, and goes back to Redis after."""
    server = start_redis()
    client = Redis.from_url(server.url)
    try:
        config = ResilienceConfig(breaker_store_timeout_ms=100, breaker_store_recheck_s=0.2)
        registry = LoggingRegistry(shared_breaker_store(client, config), POLICY)
        resilience = Resilience(breakers=registry, deadline_s=5.0)
        good = target("good", f"{mock.url}/v1", "gpt-4o-mini", http)
        outcomes: list[bool] = []

        async def load(seconds: float) -> None:
            stop = time.monotonic() + seconds
            while time.monotonic() < stop:
                try:
                    await chat((good,), resilience)
                    outcomes.append(True)
                except UpstreamFailed:
                    outcomes.append(False)

        await asyncio.gather(*(load(0.5) for _ in range(10)))
        assert registry.backend == "redis"
        server.kill()
        await asyncio.gather(*(load(0.5) for _ in range(10)))
        assert registry.backend == "redis (degraded: local state)"
        server.restart()
        await asyncio.gather(*(load(1.0) for _ in range(10)))
        assert registry.backend == "redis"
        assert all(outcomes)
        assert len(outcomes) > 100
        locals_ = [permit.local for permit in registry.granted]
        assert any(locals_) and not locals_[-1]
    finally:
        await client.aclose()
        server.stop()
