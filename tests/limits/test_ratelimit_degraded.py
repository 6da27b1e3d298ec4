"""Two replicas' limiters on one Redis that is killed under load and comes back.

While Redis is away each replica admits ``local_share`` of the limit on its own (and says so in its
headers); no call raises; once Redis is back they share one count again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from support.redis import RedisServer, start_redis
from trueport.keys.cache import KeyInfo
from trueport.limits.ratelimit import Admission, Limiter
from trueport.settings import LimitsConfig, Settings
from trueport.state import State, open_state

PINNED = 1_780_000_020.0  # twenty seconds into a minute
LIMIT = 10
SHARE = 0.5
KEY = KeyInfo("key-1", "tenant-1", "acme", "k", None, LIMIT, 100_000, None, None, None)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


async def replica(url: str, mode: str = "fixed") -> tuple[State, Limiter]:
    config = LimitsConfig(local_share=SHARE, mode=mode)  # type: ignore[arg-type]
    state = await open_state(Settings(redis=url, limits=config), probe_interval_s=0.2)
    return state, Limiter(state, config, clock=lambda: PINNED)


async def wait_until(condition: object, timeout_s: float = 5.0) -> None:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > timeout_s:
            pytest.fail(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.02)


async def test_limits_degrade_to_the_local_share_and_recover(own_redis: RedisServer) -> None:
    (state_a, limiter_a), (state_b, limiter_b) = await replica(own_redis.url), await replica(own_redis.url)
    try:
        # Shared: the two replicas count together.
        before = [await limiter.admit(KEY) for limiter in (limiter_a, limiter_b, limiter_a)]
        assert [a.allowed for a in before] == [True, True, True]
        assert before[-1].remaining == LIMIT - 3

        # Under load, Redis dies.
        stop = asyncio.Event()
        seen: dict[str, list[Admission]] = {"a": [], "b": []}

        async def load(name: str, limiter: Limiter) -> None:
            while not stop.is_set():
                seen[name].append(await limiter.admit(KEY))
                reservation = await limiter.reserve(KEY, 100)
                await limiter.settle(reservation, 120)
                await asyncio.sleep(0.001)

        tasks = [asyncio.create_task(load("a", limiter_a)), asyncio.create_task(load("b", limiter_b))]
        await asyncio.sleep(0.1)
        own_redis.kill()
        await wait_until(lambda: state_a.degraded and state_b.degraded)
        mark = {name: len(admissions) for name, admissions in seen.items()}
        await asyncio.sleep(0.5)

        # Each replica now admits 5 (half of 10) of its own in this minute, and reports a limit of 5.
        for name in ("a", "b"):
            local = seen[name][mark[name] :]
            assert local, name
            assert all(a.limit == LIMIT * SHARE for a in local)
            assert sum(a.allowed for a in seen[name]) <= LIMIT  # shared part + local part
            assert not local[-1].allowed
            assert local[-1].headers()[0] == (b"x-ratelimit-limit-requests", b"5")
        local_admitted = [sum(a.allowed for a in seen[name] if a.limit == 5) for name in ("a", "b")]
        assert local_admitted == [5, 5]

        # Redis comes back (empty, without scripts): both replicas share its count again.
        own_redis.restart()
        await wait_until(lambda: not state_a.degraded and not state_b.degraded)
        stop.set()
        await asyncio.gather(*tasks)  # no task raised
        fallbacks = state_a.fallbacks + state_b.fallbacks
        burst = await asyncio.gather(*(limiter.admit(KEY) for limiter in (limiter_a, limiter_b) * 15))
        assert not state_a.degraded and not state_b.degraded
        assert state_a.fallbacks + state_b.fallbacks == fallbacks
        assert all(a.limit == LIMIT for a in burst)
        # The restarted Redis lost its counts: what the load admitted since recovery, plus the burst,
        # is exactly the limit again.
        since_recovery = sum(
            a.allowed for name in ("a", "b") for a in seen[name][mark[name] :] if a.limit == LIMIT
        )
        assert since_recovery + sum(a.allowed for a in burst) == LIMIT
    finally:
        await state_a.close()
        await state_b.close()


async def test_recovery_makes_the_count_exact_again(own_redis: RedisServer) -> None:
    (state_a, limiter_a), (state_b, limiter_b) = await replica(own_redis.url), await replica(own_redis.url)
    try:
        own_redis.kill()
        assert (await limiter_a.admit(KEY)).limit == LIMIT * SHARE  # local
        own_redis.restart()
        await wait_until(lambda: not state_a.degraded)
        await asyncio.sleep(0.3)  # b's probe notices too
        await wait_until(lambda: not state_b.degraded)
        burst = await asyncio.gather(*(limiter.admit(KEY) for limiter in (limiter_a, limiter_b) * 20))
        assert sum(a.allowed for a in burst) == LIMIT
    finally:
        await state_a.close()
        await state_b.close()


async def test_gcra_mode_degrades_too(own_redis: RedisServer) -> None:
    state, limiter = await replica(own_redis.url, mode="gcra")
    try:
        key = KeyInfo("g", "t", "acme", "g", None, 600, None, None, None, None)  # burst 60 (6 s)
        own_redis.kill()
        admissions = [await limiter.admit(key) for _ in range(40)]
        assert state.degraded
        assert sum(a.allowed for a in admissions) == 30
        assert admissions[0].limit == 300
    finally:
        await state.close()
