"""The limiter on each backend (``[memory]``, ``[redis]``), with a clock the test moves."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from trueport.errors import RateLimited
from trueport.keys.cache import KeyInfo
from trueport.limits.ratelimit import Admission, Limiter, Scope, Unit, duration
from trueport.settings import LimitsConfig, Settings
from trueport.state import State, open_state
from trueport.state.memory import MemoryState

# 2026-03-04 05:06:20 UTC: twenty seconds into a minute.
T0 = calendar.timegm((2026, 3, 4, 5, 6, 20)) + 0.0
MINUTE = "2026-03-04-05-06"


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_key(
    *,
    key_id: str = "key-1",
    tenant_id: str = "tenant-1",
    rpm: int | None = None,
    tpm: int | None = None,
    tenant_rpm: int | None = None,
    tenant_tpm: int | None = None,
) -> KeyInfo:
    return KeyInfo(
        id=key_id,
        tenant_id=tenant_id,
        tenant_slug="acme",
        name="test",
        models=None,
        rpm_limit=rpm,
        tpm_limit=tpm,
        tenant_rpm_limit=tenant_rpm,
        tenant_tpm_limit=tenant_tpm,
        expires_at=None,
    )


@pytest.fixture(params=["memory", "redis"])
async def state(request: pytest.FixtureRequest) -> AsyncIterator[State]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    opened = await open_state(Settings(redis=redis_url))
    yield opened
    await opened.close()


def limiter(state: State, clock: Clock, **config: Any) -> Limiter:
    return Limiter(state, LimitsConfig(**config), clock=clock)


# --- requests per minute, fixed windows ---


async def test_fixed_window_admits_exactly_the_limit_per_minute(state: State) -> None:
    clock = Clock()
    limits = limiter(state, clock)
    key = make_key(rpm=3)
    admissions = [await limits.admit(key) for _ in range(5)]
    assert [a.allowed for a in admissions] == [True, True, True, False, False]
    assert [a.remaining for a in admissions] == [2, 1, 0, 0, 0]
    assert admissions[0].limit == 3
    assert admissions[0].reset_s == pytest.approx(40.0)
    refused = admissions[3]
    assert refused.refused_by is not None
    assert refused.refused_by.scope is Scope.KEY
    assert refused.retry_after_s == pytest.approx(40.0)
    assert (await limits.admit(make_key(key_id="key-2", rpm=3))).allowed  # keys are counted apart
    clock.now += 40  # the next minute
    assert (await limits.admit(key)).allowed


async def test_tenant_limit_spans_its_keys_and_costs_a_key_nothing_when_it_refuses(state: State) -> None:
    limits = limiter(state, Clock())
    first = make_key(key_id="a", rpm=10, tenant_rpm=3)
    second = make_key(key_id="b", rpm=2, tenant_rpm=3)
    assert (await limits.admit(first)).allowed
    assert (await limits.admit(first)).allowed
    assert (await limits.admit(second)).allowed
    refused = await limits.admit(second)
    assert not refused.allowed
    assert refused.refused_by is not None
    assert refused.refused_by.scope is Scope.TENANT
    assert refused.message == "rate limit of 3 requests per minute reached for this tenant"
    # The refusal did not use up the key's own window: "b" has one of its two left.
    assert [(q.scope, q.remaining) for q in refused.quotas] == [(Scope.KEY, 1), (Scope.TENANT, 0)]


async def test_tenant_only_limit(state: State) -> None:
    limits = limiter(state, Clock())
    admissions = [await limits.admit(make_key(key_id=f"k{i}", tenant_rpm=2)) for i in range(3)]
    assert [a.allowed for a in admissions] == [True, True, False]


async def test_headers_report_the_tightest_limit_and_retry_after_on_refusal(state: State) -> None:
    limits = limiter(state, Clock())
    key = make_key(rpm=2, tenant_rpm=100)
    allowed = await limits.admit(key)
    assert allowed.headers() == [
        (b"x-ratelimit-limit-requests", b"2"),
        (b"x-ratelimit-remaining-requests", b"1"),
        (b"x-ratelimit-reset-requests", b"40s"),
    ]
    await limits.admit(key)
    refused = await limits.admit(key)
    assert refused.headers() == [
        (b"x-ratelimit-limit-requests", b"2"),
        (b"x-ratelimit-remaining-requests", b"0"),
        (b"x-ratelimit-reset-requests", b"40s"),
        (b"retry-after", b"40"),
    ]
    error = refused.error()
    assert isinstance(error, RateLimited)
    assert error.status == 429
    assert error.message == "rate limit of 2 requests per minute reached for this key"


class NoState:
    """A state that fails the test if the limiter touches it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"state.{name} used for a key without limits")


async def test_keys_without_limits_cost_no_state_operation() -> None:
    limits = Limiter(NoState(), LimitsConfig(), clock=Clock())  # type: ignore[arg-type]
    key = make_key()
    admission = await limits.admit(key)
    assert admission.allowed
    assert admission.headers() == []
    assert admission.limit is None
    reservation = await limits.reserve(key, 5000)
    assert reservation.allowed
    assert reservation.headers() == []
    await limits.settle(reservation, 7000)


async def test_redis_keys_are_per_key_and_tenant_per_utc_minute(redis_url: str) -> None:
    state = await open_state(Settings(redis=redis_url))
    client = Redis.from_url(redis_url)
    try:
        limits = limiter(state, Clock())
        await limits.admit(make_key(rpm=5, tenant_rpm=50))
        await limits.reserve(make_key(tpm=1000, tenant_tpm=5000), 300)
        assert await client.get(f"rate_limit:key-1:{MINUTE}") == b"1"
        assert await client.get(f"rate_limit:tenant:tenant-1:{MINUTE}") == b"1"
        assert await client.get(f"token_limit:key-1:{MINUTE}") == b"300"
        assert await client.get(f"token_limit:tenant:tenant-1:{MINUTE}") == b"300"
        assert 59 <= await client.ttl(f"rate_limit:key-1:{MINUTE}") <= 60
    finally:
        await client.aclose()
        await state.close()


# --- tokens per minute ---


async def test_tokens_reserve_then_settle_to_the_true_count(state: State) -> None:
    clock = Clock()
    limits = limiter(state, clock)
    key = make_key(tpm=10_000)
    first = await limits.reserve(key, 4_000)
    assert first.allowed
    assert first.tokens == 4_000
    assert first.headers()[:2] == [
        (b"x-ratelimit-limit-tokens", b"10000"),
        (b"x-ratelimit-remaining-tokens", b"6000"),
    ]
    await limits.settle(first, 1_500)  # used less than reserved: 2,500 back
    assert await state.counters.get(f"token_limit:key-1:{MINUTE}") == 1_500
    second = await limits.reserve(key, 4_000)
    await limits.settle(second, 6_200)  # a stream that overshot its reservation: charged in full
    assert await state.counters.get(f"token_limit:key-1:{MINUTE}") == 7_700
    refused = await limits.reserve(key, 2_500)
    assert not refused.allowed
    assert refused.remaining == 2_300
    assert refused.refused_by is not None
    assert refused.refused_by.scope is Scope.KEY
    assert refused.unit is Unit.TOKENS
    assert refused.message == "rate limit of 10000 tokens per minute reached for this key"
    assert (b"retry-after", b"40") in refused.headers()
    await limits.settle(refused, 0)  # settling a refusal changes nothing
    assert await state.counters.get(f"token_limit:key-1:{MINUTE}") == 7_700
    third = await limits.reserve(key, 2_000)
    await limits.refund(third)  # the upstream call failed: all of it back
    assert await state.counters.get(f"token_limit:key-1:{MINUTE}") == 7_700


async def test_tokens_tenant_limit_and_a_request_larger_than_the_limit(state: State) -> None:
    limits = limiter(state, Clock())
    key = make_key(tpm=100_000, tenant_tpm=8_000)
    too_big = await limits.reserve(key, 9_000)
    assert not too_big.allowed
    assert too_big.message == (
        "this request may use up to 9000 tokens, more than the tenant's limit of 8000 tokens per "
        "minute; lower max_tokens or shorten the input"
    )
    assert (await limits.reserve(key, 8_000)).allowed
    assert await state.counters.get(f"token_limit:key-1:{MINUTE}") == 8_000


async def test_settle_after_the_minute_rolled_over(state: State) -> None:
    clock = Clock(T0 + 39)  # one second before the minute ends
    limits = limiter(state, clock)
    key = make_key(tpm=10_000)
    refund = await limits.reserve(key, 3_000)
    overshoot = await limits.reserve(key, 3_000)
    clock.now += 2  # the next minute
    await limits.settle(refund, 1_000)  # a refund to a finished window is dropped
    await limits.settle(overshoot, 3_500)  # an overshoot is charged to the current window
    assert await state.counters.get(f"token_limit:key-1:{MINUTE}") == 6_000
    assert await state.counters.get("token_limit:key-1:2026-03-04-05-07") == 500
    reservation = await limits.reserve(key, 9_500)
    assert reservation.allowed
    assert reservation.remaining == 0


# --- gcra: smooth limits ---


async def test_gcra_spreads_requests_evenly_where_fixed_windows_let_them_bunch(state: State) -> None:
    async def admitted_per_ten_seconds(mode: str, key_id: str) -> list[int]:
        clock = Clock(T0 - 20)  # the start of a minute
        limits = limiter(state, clock, mode=mode, gcra_burst_s=6)
        key = make_key(key_id=key_id, rpm=60)
        slices = [0] * 6
        for step in range(600):  # ten attempts a second for a minute
            clock.now = T0 - 20 + step / 10
            if (await limits.admit(key)).allowed:
                slices[step // 100] += 1
        return slices

    assert await admitted_per_ten_seconds("fixed", "fixed-key") == [60, 0, 0, 0, 0, 0]
    smooth = await admitted_per_ten_seconds("gcra", "gcra-key")
    # A burst of 6 (six seconds' worth) at 0 s, then one a second from 1 s on.
    assert smooth[0] == 6 + 9
    assert smooth[1:] == [10, 10, 10, 10, 10]


async def test_gcra_burst_headers_and_retry_after(state: State) -> None:
    clock = Clock()
    limits = limiter(state, clock, mode="gcra", gcra_burst_s=3)
    key = make_key(rpm=60, tenant_rpm=600)
    admissions = [await limits.admit(key) for _ in range(4)]
    assert [a.allowed for a in admissions] == [True, True, True, False]
    assert [a.remaining for a in admissions] == [2, 1, 0, 0]
    assert admissions[2].reset_s == pytest.approx(3.0, abs=0.01)
    refused = admissions[3]
    assert refused.retry_after_s == pytest.approx(1.0, abs=0.01)
    assert (b"retry-after", b"1") in refused.headers()
    clock.now += 1.0
    assert (await limits.admit(key)).allowed


async def test_gcra_tokens_reserve_and_settle(state: State) -> None:
    clock = Clock()
    limits = limiter(state, clock, mode="gcra")
    key = make_key(tpm=6_000)  # 100 tokens a second; the whole minute's worth at once
    first = await limits.reserve(key, 6_000)
    assert first.allowed
    assert not (await limits.reserve(key, 100)).allowed
    await limits.settle(first, 3_000)  # 3,000 back
    assert (await limits.reserve(key, 3_000)).allowed
    overshoot = await limits.reserve(key, 0)
    await limits.settle(overshoot, 500)  # 500 owed: five seconds before anything passes
    clock.now += 4.9
    assert not (await limits.reserve(key, 1)).allowed
    clock.now += 0.2
    assert (await limits.reserve(key, 10)).allowed


# --- small parts ---


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0ms"), (0.25, "250ms"), (1.0, "1s"), (1.5, "1.5s"), (40, "40s"), (60, "1m0s"), (90.5, "1m30.5s")],
)
def test_duration_matches_openai_reset_headers(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_admission_without_quotas_reports_nothing() -> None:
    admission = Admission(Unit.REQUESTS, True, ())
    assert admission.reported is None
    assert admission.remaining is None
    assert admission.reset_s is None


async def test_memory_limits_do_not_leak_across_states() -> None:
    one, two = MemoryState(), MemoryState()
    key = make_key(rpm=1)
    assert (await limiter(one, Clock()).admit(key)).allowed
    assert (await limiter(two, Clock()).admit(key)).allowed
