"""The breaker state machine, with an injected clock, against both stores (memory, and Redis's Lua).

The Redis store is given the same clock in place of Redis ``TIME``, so each test runs unchanged on both.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from prometheus_client import generate_latest
from redis.asyncio import Redis

from trueport.limits.breaker import BreakerPolicy, BreakerRegistry, BreakerState, BreakerStore, State
from trueport.limits.breaker_redis import RedisBreakerStore
from trueport.limits.breaker_store import MemoryBreakerStore
from trueport.metrics import REGISTRY
from trueport.settings import ResilienceConfig

T = "oa/gpt-4o"


class FakeClock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Extremes(random.Random):
    """``random()`` returns the values given, in turn: jitter at its bounds."""

    def __init__(self, *values: float):
        super().__init__(0)
        self._values = list(values)
        self._next = 0

    def random(self) -> float:
        value = self._values[self._next % len(self._values)]
        self._next += 1
        return value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[BreakerStore]:
    if request.param == "memory":
        yield MemoryBreakerStore(clock)
        return
    client = Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        yield RedisBreakerStore(client, clock=clock, timeout_s=2.0)
    finally:
        await client.aclose()


def policy(**overrides: object) -> BreakerPolicy:
    values: dict[str, object] = {
        "window_s": 10.0,
        "buckets": 10,
        "min_calls": 100,
        "failure_rate": 0.5,
        "consecutive_failures": 0,
        "slow_call_s": None,
        "open_s": 1.0,
        "open_max_s": 8.0,
        "open_jitter": 0.0,
        "half_open_probes": 2,
        "probe_ttl_s": 5.0,
    }
    values.update(overrides)
    return BreakerPolicy(**values)  # type: ignore[arg-type]


async def call(registry: BreakerRegistry, ok: bool, duration_s: float = 0.01) -> bool:
    """One attempt through the breaker; False if it was not allowed."""
    permit = await registry.allow(T)
    if permit is None:
        return False
    await registry.record(permit, ok=ok, duration_s=duration_s)
    return True


async def state_of(registry: BreakerRegistry) -> BreakerState:
    (state,) = [s for s in await registry.snapshot() if s.label == T]
    return state


async def open_breaker(registry: BreakerRegistry) -> None:
    """Trip a breaker whose policy has consecutive_failures=1."""
    assert await call(registry, ok=False)
    assert (await state_of(registry)).state is State.OPEN


async def test_failure_rate_needs_min_calls(store: BreakerStore) -> None:
    registry = BreakerRegistry(store, policy(min_calls=10), labels=[T])
    for ok in [False, False, False, False, False, True, True, True, True]:
        assert await call(registry, ok)
    state = await state_of(registry)
    assert state.state is State.CLOSED  # 5 failures of 9: over the rate, under min_calls
    assert state.calls == 9
    assert state.failure_rate == pytest.approx(5 / 9)
    assert await call(registry, ok=False)  # 6 of 10
    assert (await state_of(registry)).state is State.OPEN
    assert await registry.allow(T) is None


async def test_a_failure_rate_under_the_threshold_stays_closed(store: BreakerStore) -> None:
    registry = BreakerRegistry(store, policy(min_calls=10), labels=[T])
    for i in range(40):
        assert await call(registry, ok=i % 5 < 3)  # 40 % failures, never 50 % of any prefix
    assert (await state_of(registry)).state is State.CLOSED


async def test_old_calls_leave_the_window(store: BreakerStore, clock: FakeClock) -> None:
    registry = BreakerRegistry(store, policy(min_calls=4), labels=[T])
    for _ in range(3):
        assert await call(registry, ok=False)
    clock.advance(10.0 + 1.0)  # past the 10 s window
    assert await call(registry, ok=False)
    for _ in range(3):
        assert await call(registry, ok=True)
    state = await state_of(registry)
    assert state.state is State.CLOSED  # 1 of 4 in the window; 4 of 7 without the roll
    assert state.calls == 4


async def test_consecutive_failures_open_it(store: BreakerStore) -> None:
    registry = BreakerRegistry(store, policy(consecutive_failures=3), labels=[T])
    for ok in [False, False, True, False, False]:
        assert await call(registry, ok)
    state = await state_of(registry)
    assert state.state is State.CLOSED
    assert state.consecutive_failures == 2
    assert await call(registry, ok=False)
    assert (await state_of(registry)).state is State.OPEN


async def test_slow_calls_open_it(store: BreakerStore) -> None:
    registry = BreakerRegistry(store, policy(min_calls=4, slow_call_s=1.0, slow_call_rate=0.5), labels=[T])
    for duration in [2.0, 0.1, 0.1]:
        assert await call(registry, ok=True, duration_s=duration)
    state = await state_of(registry)
    assert state.state is State.CLOSED
    assert state.slow_call_rate == pytest.approx(1 / 3)
    assert await call(registry, ok=True, duration_s=1.5)  # 2 slow of 4: every one a success
    assert (await state_of(registry)).state is State.OPEN


async def test_open_interval_grows_to_its_cap(store: BreakerStore, clock: FakeClock) -> None:
    registry = BreakerRegistry(store, policy(consecutive_failures=1, open_s=1.0, open_max_s=5.0), labels=[T])
    await open_breaker(registry)
    intervals = []
    for _ in range(5):
        opened_until = (await state_of(registry)).opened_until
        assert opened_until is not None
        intervals.append(round(opened_until - clock.now, 3))
        clock.advance(intervals[-1] - 0.01)
        assert await registry.allow(T) is None  # still open just before the end
        clock.advance(0.01)
        assert await call(registry, ok=False)  # the probe fails: open again, for longer
    assert intervals == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert (await state_of(registry)).openings == 6


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999999])
async def test_jitter_takes_off_at_most_its_share(store: BreakerStore, clock: FakeClock, draw: float) -> None:
    rules = policy(consecutive_failures=1, open_s=2.0, open_max_s=4.0, open_jitter=0.25)
    registry = BreakerRegistry(store, rules, labels=[T], rng=Extremes(draw))
    await open_breaker(registry)
    first = (await state_of(registry)).opened_until
    assert first is not None
    assert first - clock.now == pytest.approx(2.0 * (1 - 0.25 * draw), abs=1e-3)
    clock.advance(first - clock.now + 1e-3)
    for _ in range(3):  # past the cap
        assert await call(registry, ok=False)
        until = (await state_of(registry)).opened_until
        assert until is not None
        assert 4.0 * 0.75 - 1e-3 <= until - clock.now <= 4.0 + 1e-3
        clock.advance(until - clock.now + 1e-3)  # the shown time is rounded to 1 µs


async def test_jitter_spreads_replicas(store: BreakerStore, clock: FakeClock) -> None:
    rules = policy(consecutive_failures=1, open_s=10.0, open_max_s=10.0, open_jitter=0.2)
    registry = BreakerRegistry(store, rules, labels=[T], rng=random.Random(7))
    seen = []
    await open_breaker(registry)
    for _ in range(20):
        until = (await state_of(registry)).opened_until
        assert until is not None
        seen.append(until - clock.now)
        clock.advance(until - clock.now + 1e-3)  # the shown time is rounded to 1 µs
        assert await call(registry, ok=False)
    assert all(8.0 - 1e-3 <= interval <= 10.0 + 1e-3 for interval in seen)
    assert max(seen) - min(seen) > 0.5


async def test_half_open_admits_the_permitted_probes_then_closes(
    store: BreakerStore, clock: FakeClock
) -> None:
    registry = BreakerRegistry(store, policy(consecutive_failures=1, half_open_probes=2), labels=[T])
    await open_breaker(registry)
    clock.advance(1.0)
    assert (await state_of(registry)).state is State.HALF_OPEN
    first, second, third = [await registry.allow(T) for _ in range(3)]
    assert first is not None and first.probe is not None
    assert second is not None and second.probe is not None
    assert third is None
    assert (await state_of(registry)).probes_in_flight == 2
    await registry.record(first, ok=True, duration_s=0.01)
    assert (await state_of(registry)).state is State.HALF_OPEN
    assert await registry.allow(T) is None  # one success and one in flight fill both places
    await registry.record(second, ok=True, duration_s=0.01)
    state = await state_of(registry)
    assert state.state is State.CLOSED
    assert state.probes_in_flight == 0
    permit = await registry.allow(T)
    assert permit is not None and permit.probe is None


async def test_a_failing_probe_reopens_for_longer(store: BreakerStore, clock: FakeClock) -> None:
    registry = BreakerRegistry(store, policy(consecutive_failures=1, half_open_probes=3), labels=[T])
    await open_breaker(registry)
    clock.advance(1.0)
    good, bad = await registry.allow(T), await registry.allow(T)
    assert good is not None and bad is not None
    await registry.record(bad, ok=False, duration_s=0.01)
    state = await state_of(registry)
    assert state.state is State.OPEN
    assert state.opened_until == pytest.approx(clock.now + 2.0, abs=1e-3)
    await registry.record(good, ok=True, duration_s=0.01)  # from the last epoch: changes nothing
    assert (await state_of(registry)).state is State.OPEN


async def test_a_slow_probe_counts_as_failed(store: BreakerStore, clock: FakeClock) -> None:
    registry = BreakerRegistry(store, policy(consecutive_failures=1, slow_call_s=1.0), labels=[T])
    await open_breaker(registry)
    clock.advance(1.0)
    assert await call(registry, ok=True, duration_s=3.0)
    assert (await state_of(registry)).state is State.OPEN


async def test_probe_tokens_expire(store: BreakerStore, clock: FakeClock) -> None:
    registry = BreakerRegistry(store, policy(consecutive_failures=1, probe_ttl_s=5.0), labels=[T])
    await open_breaker(registry)
    clock.advance(1.0)
    lost = [await registry.allow(T), await registry.allow(T)]  # their replica crashes
    assert all(permit is not None for permit in lost)
    clock.advance(4.9)
    assert await registry.allow(T) is None
    clock.advance(0.2)  # both tokens expired
    fresh = [await registry.allow(T), await registry.allow(T)]
    assert all(permit is not None for permit in fresh)
    late = lost[0]
    assert late is not None
    await registry.record(late, ok=True, duration_s=6.0)  # its token is gone: ignored
    assert (await state_of(registry)).probes_in_flight == 2
    for permit in fresh:
        assert permit is not None
        await registry.record(permit, ok=True, duration_s=0.01)
    assert (await state_of(registry)).state is State.CLOSED


async def test_outcomes_from_before_an_opening_are_ignored(store: BreakerStore, clock: FakeClock) -> None:
    registry = BreakerRegistry(store, policy(consecutive_failures=2), labels=[T])
    in_flight = [await registry.allow(T) for _ in range(5)]
    for permit in in_flight[:2]:
        assert permit is not None
        await registry.record(permit, ok=False, duration_s=0.01)
    opened = await state_of(registry)
    assert opened.state is State.OPEN
    for permit in in_flight[2:]:
        assert permit is not None
        await registry.record(permit, ok=False, duration_s=0.01)
    assert await state_of(registry) == opened


async def test_growth_is_forgotten_after_a_long_healthy_spell(store: BreakerStore, clock: FakeClock) -> None:
    registry = BreakerRegistry(
        store, policy(consecutive_failures=1, half_open_probes=1, open_max_s=8.0), labels=[T]
    )
    await open_breaker(registry)
    clock.advance(1.0)
    assert await call(registry, ok=False)  # re-opened: 2 s
    clock.advance(2.0)
    assert await call(registry, ok=True)  # closed
    assert await call(registry, ok=False)  # soon after: grows on
    until = (await state_of(registry)).opened_until
    assert until == pytest.approx(clock.now + 4.0, abs=1e-3)
    clock.advance(4.0)
    assert await call(registry, ok=True)
    clock.advance(8.0)  # closed for open_max_s
    assert await call(registry, ok=False)
    until = (await state_of(registry)).opened_until
    assert until == pytest.approx(clock.now + 1.0, abs=1e-3)


async def test_breakers_are_per_target(store: BreakerStore) -> None:
    registry = BreakerRegistry(store, policy(consecutive_failures=1), labels=[T, "an/claude"])
    await open_breaker(registry)
    assert await registry.allow("an/claude") is not None
    assert [s.state for s in await registry.snapshot()] == [State.CLOSED, State.OPEN]


async def test_a_disabled_registry_allows_everything(store: BreakerStore) -> None:
    config = ResilienceConfig(breaker_enabled=False, breaker_consecutive_failures=1)
    registry = BreakerRegistry(store, config)
    for _ in range(5):
        assert await call(registry, ok=False)


def test_policy_from_config() -> None:
    config = ResilienceConfig(breaker_slow_call_ms=2500, breaker_half_open_probes=4, breaker_open_jitter=0.1)
    rules = BreakerPolicy.from_config(config)
    assert rules.slow_call_s == 2.5
    assert rules.half_open_probes == 4
    assert rules.open_jitter == 0.1
    assert BreakerPolicy.from_config(ResilienceConfig(breaker_slow_call_ms=None)).slow_call_s is None
    assert rules.key_ttl_s > rules.open_max_s


async def test_state_and_transitions_are_exported(clock: FakeClock) -> None:
    label = "metrics/target"
    registry = BreakerRegistry(MemoryBreakerStore(clock), policy(consecutive_failures=1), labels=[label])
    permit = await registry.allow(label)
    assert permit is not None
    await registry.record(permit, ok=False, duration_s=0.01)
    assert await registry.allow(label) is None
    text = generate_latest(REGISTRY).decode()
    assert f'trueport_breaker_state{{target="{label}"}} 2.0' in text
    assert (
        f'trueport_breaker_transitions_total{{from_state="closed",target="{label}",to_state="open"}} 1.0'
        in text
    )
    assert f'trueport_breaker_rejected_total{{target="{label}"}} 1.0' in text
