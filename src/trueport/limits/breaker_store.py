"""Breaker state in this process (``MemoryBreakerStore``), and the shared store's fallback to it.

``MemoryBreakerStore`` is the reference state machine (``trueport.limits.breaker`` describes it);
``breaker_redis.lua`` is the same machine for Redis and must stay in step with ``_Breaker`` below.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog

from trueport.limits.breaker import (
    BreakerPolicy,
    BreakerState,
    BreakerStore,
    BreakerStoreUnavailable,
    Observed,
    Permit,
    State,
    window_rates,
)
from trueport.metrics import BREAKER_STORE_DEGRADED

log = structlog.get_logger(__name__)

Clock = Callable[[], float]
T = TypeVar("T")


class _Breaker:
    """One target's breaker. Methods take ``now`` and never await, so each is atomic on the loop."""

    __slots__ = (
        "buckets",
        "closed_at",
        "consecutive",
        "epoch",
        "opened_until",
        "openings",
        "probe_successes",
        "probes",
        "state",
    )

    def __init__(self) -> None:
        self.state = State.CLOSED
        self.epoch = 0
        self.consecutive = 0
        self.openings = 0
        self.opened_until = 0.0
        self.closed_at = 0.0
        self.probe_successes = 0
        self.probes: dict[str, float] = {}  # token -> expiry
        self.buckets: dict[int, list[int]] = {}  # bucket number -> [calls, failures, slow]

    def acquire(
        self, label: str, policy: BreakerPolicy, token: str, now: float
    ) -> tuple[Permit | None, Observed]:
        previous: State | None = None
        if self.state is State.OPEN:
            if now < self.opened_until:
                return None, Observed(State.OPEN)
            previous = self.state
            self._move(State.HALF_OPEN)
        if self.state is State.HALF_OPEN:
            self._expire_probes(now)
            if len(self.probes) + self.probe_successes >= policy.half_open_probes:
                return None, Observed(self.state, previous)
            self.probes[token] = now + policy.probe_ttl_s
            return Permit(label, self.epoch, token), Observed(self.state, previous)
        return Permit(label, self.epoch), Observed(self.state)

    def record(
        self, permit: Permit, policy: BreakerPolicy, failed: bool, slow: bool, jitter: float, now: float
    ) -> Observed:
        if permit.epoch != self.epoch:
            return Observed(self.state)  # granted before the last change of state: stale
        previous = self.state
        if self.state is State.HALF_OPEN:
            self._expire_probes(now)
            if permit.probe is None or self.probes.pop(permit.probe, None) is None:
                return Observed(self.state)  # the probe's token expired; another probe took its place
            if failed or slow:
                self._open(policy, jitter, now)
            else:
                self.probe_successes += 1
                if self.probe_successes >= policy.half_open_probes:
                    self._move(State.CLOSED)
                    self.closed_at = now
        elif self.state is State.CLOSED:
            current = self._count(policy, failed, slow, now)
            self.consecutive = self.consecutive + 1 if failed else 0
            calls, failures, slow_calls = self._sums(policy, current)
            if policy.trips(calls, failures, slow_calls, self.consecutive):
                self._open(policy, jitter, now)
        return Observed(self.state, previous if self.state is not previous else None)

    def read(self, label: str, policy: BreakerPolicy, now: float) -> BreakerState:
        state, probes = self.state, 0
        if state is State.OPEN and now >= self.opened_until:
            state = State.HALF_OPEN  # becomes so on the next acquire
        elif state is State.HALF_OPEN:
            probes = sum(1 for expiry in self.probes.values() if expiry > now)
        calls, failures, slow = self._sums(policy, _bucket(policy, now))
        failure_rate, slow_rate = window_rates(calls, failures, slow)
        return BreakerState(
            label=label,
            state=state,
            calls=calls,
            failure_rate=failure_rate,
            slow_call_rate=slow_rate,
            consecutive_failures=self.consecutive,
            openings=self.openings,
            opened_until=self.opened_until if self.state is State.OPEN else None,
            probes_in_flight=probes,
        )

    def _move(self, state: State) -> None:
        self.state = state
        self.epoch += 1
        self.consecutive = 0
        self.probe_successes = 0
        self.probes.clear()
        self.buckets.clear()

    def _open(self, policy: BreakerPolicy, jitter: float, now: float) -> None:
        if self.state is State.CLOSED and now - self.closed_at >= policy.open_max_s:
            self.openings = 0  # healthy long enough: start again from open_s
        self.openings += 1
        self.opened_until = now + policy.open_interval(self.openings, jitter)
        self._move(State.OPEN)

    def _expire_probes(self, now: float) -> None:
        expired = [token for token, expiry in self.probes.items() if expiry <= now]
        for token in expired:
            del self.probes[token]

    def _count(self, policy: BreakerPolicy, failed: bool, slow: bool, now: float) -> int:
        current = _bucket(policy, now)
        counts = self.buckets.get(current)
        if counts is None:
            oldest = current - policy.buckets
            for number in [number for number in self.buckets if number <= oldest]:
                del self.buckets[number]
            counts = self.buckets[current] = [0, 0, 0]
        counts[0] += 1
        counts[1] += failed
        counts[2] += slow
        return current

    def _sums(self, policy: BreakerPolicy, current: int) -> tuple[int, int, int]:
        calls = failures = slow = 0
        oldest = current - policy.buckets
        for number, counts in self.buckets.items():
            if oldest < number <= current:
                calls += counts[0]
                failures += counts[1]
                slow += counts[2]
        return calls, failures, slow


def _bucket(policy: BreakerPolicy, now: float) -> int:
    return int(now // (policy.window_s / policy.buckets))


class MemoryBreakerStore:
    """Breakers in this process: the embedded mode's store, and the shared store's fallback."""

    backend = "memory"

    def __init__(self, clock: Clock = time.time):
        self._clock = clock
        self._breakers: dict[str, _Breaker] = {}

    def _get(self, label: str) -> _Breaker:
        breaker = self._breakers.get(label)
        if breaker is None:
            breaker = self._breakers[label] = _Breaker()
        return breaker

    async def acquire(self, label: str, policy: BreakerPolicy, token: str) -> tuple[Permit | None, Observed]:
        return self._get(label).acquire(label, policy, token, self._clock())

    async def record(
        self, permit: Permit, policy: BreakerPolicy, *, failed: bool, slow: bool, jitter: float
    ) -> Observed:
        return self._get(permit.label).record(permit, policy, failed, slow, jitter, self._clock())

    async def read(self, labels: Sequence[str], policy: BreakerPolicy) -> list[BreakerState]:
        now = self._clock()
        return [self._get(label).read(label, policy, now) for label in labels]

    def state(self, label: str) -> State:
        breaker = self._breakers.get(label)
        return State.CLOSED if breaker is None else breaker.state


class FallbackBreakerStore:
    """The shared store while it answers; this process's own breakers while it does not.

    After a failure the shared store is left alone for ``recheck_s``; then one operation at a time
    tries it again, and the first that succeeds returns every operation to shared state. Outcomes of
    permits the shared store granted just before it failed are dropped (their epochs mean nothing
    locally). Local state is kept across outages: a target found dead in the last one stays skipped.
    """

    def __init__(
        self,
        shared: BreakerStore,
        local: MemoryBreakerStore | None = None,
        *,
        recheck_s: float = 1.0,
        clock: Clock = time.monotonic,
    ):
        self._shared = shared
        self._local = local or MemoryBreakerStore()
        self._recheck_s = recheck_s
        self._clock = clock
        self._retry_at: float | None = None  # None: healthy
        self._checking = False

    @property
    def degraded(self) -> bool:
        return self._retry_at is not None

    @property
    def backend(self) -> str:
        name = self._shared.backend
        return f"{name} (degraded: local state)" if self.degraded else name

    async def acquire(self, label: str, policy: BreakerPolicy, token: str) -> tuple[Permit | None, Observed]:
        shared = await self._via_shared(lambda: self._shared.acquire(label, policy, token))
        return shared if shared is not None else await self._local.acquire(label, policy, token)

    async def record(
        self, permit: Permit, policy: BreakerPolicy, *, failed: bool, slow: bool, jitter: float
    ) -> Observed:
        if permit.local:
            return await self._local.record(permit, policy, failed=failed, slow=slow, jitter=jitter)
        shared = await self._via_shared(
            lambda: self._shared.record(permit, policy, failed=failed, slow=slow, jitter=jitter)
        )
        return shared if shared is not None else Observed(self._local.state(permit.label))

    async def read(self, labels: Sequence[str], policy: BreakerPolicy) -> list[BreakerState]:
        shared = await self._via_shared(lambda: self._shared.read(labels, policy))
        return shared if shared is not None else await self._local.read(labels, policy)

    async def _via_shared(self, operation: Callable[[], Awaitable[T]]) -> T | None:
        """The shared store's answer, or None when it is (or just turned out to be) unreachable."""
        if not self._try_shared():
            return None
        try:
            result = await operation()
        except BreakerStoreUnavailable as exc:
            self._failed(exc)
            return None
        except BaseException:
            self._checking = False  # cancelled mid-check: let a later operation check again
            raise
        self._succeeded()
        return result

    def _try_shared(self) -> bool:
        if self._retry_at is None:
            return True
        if self._checking or self._clock() < self._retry_at:
            return False
        self._checking = True
        return True

    def _failed(self, exc: BreakerStoreUnavailable) -> None:
        if self._retry_at is None:
            log.warning("breaker_store_degraded", error=str(exc))
            BREAKER_STORE_DEGRADED.set(1)
        self._retry_at = self._clock() + self._recheck_s
        self._checking = False

    def _succeeded(self) -> None:
        if self._retry_at is not None:
            log.info("breaker_store_recovered")
            BREAKER_STORE_DEGRADED.set(0)
        self._retry_at = None
        self._checking = False
