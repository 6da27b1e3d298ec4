"""Circuit breakers per provider target (``target.label``, e.g. ``oa/gpt-4o``).

A breaker is **closed** while its target is healthy; every attempt's outcome goes into a rolling
window. It **opens** when, in the window and with at least ``min_calls`` calls, the share of failures
reaches ``failure_rate`` or the share of slow calls reaches ``slow_call_rate``; or on
``consecutive_failures`` failures in a row. While open, failover skips the target. After the open
interval it is **half-open**: at most ``half_open_probes`` probes are admitted, counted across every
replica (a probe holds a token that expires after ``probe_ttl_s``, so a crashed replica cannot hold a
slot for ever). That many successful probes close it; one failing (or slow) probe re-opens it.

The open interval grows with each re-opening (``open_s`` x 2^(n-1), at most ``open_max_s``) and loses a
random share of up to ``open_jitter`` so replicas do not probe in step; the growth is forgotten once the
breaker has stayed closed for ``open_max_s``.

Every change of state starts a new *epoch*; an outcome is counted only in the epoch its permit was
granted in, so late answers from before an opening (or from an expired probe) change nothing.

The state lives in a ``BreakerStore``: ``MemoryBreakerStore`` (embedded mode) or
``RedisBreakerStore`` (shared by replicas) behind ``FallbackBreakerStore`` (local state while Redis is
unreachable). With Redis, a closed breaker is read from the replica's view of it, at most
``breaker_sync_ms`` old, and successes are sent in batches; failures, probes and half-open decisions
always go to Redis (see ``RedisBreakerStore``). ``BreakerRegistry`` is what the gateway calls.
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import structlog

from trueport.jsonutil import JSONObject
from trueport.metrics import BREAKER_REJECTED, BREAKER_STATE, BREAKER_TRANSITIONS
from trueport.settings import ResilienceConfig

log = structlog.get_logger(__name__)

_MAX_DOUBLINGS = 64  # 2**64 x open_s is past any cap; keeps the power finite


class State(IntEnum):
    """The value is what the ``trueport_breaker_state`` gauge shows."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a breaker opens and how it comes back (``ResilienceConfig.breaker_*``)."""

    window_s: float = 30.0
    buckets: int = 10  # the window moves in steps of window_s / buckets
    min_calls: int = 20
    failure_rate: float = 0.5
    consecutive_failures: int = 5  # 0: off
    slow_call_s: float | None = 60.0  # None: no slow-call rule
    slow_call_rate: float = 0.8
    open_s: float = 5.0
    open_max_s: float = 300.0
    open_multiplier: float = 2.0
    open_jitter: float = 0.2
    half_open_probes: int = 3
    probe_ttl_s: float = 120.0

    @classmethod
    def from_config(cls, config: ResilienceConfig) -> BreakerPolicy:
        slow_ms = config.breaker_slow_call_ms
        return cls(
            window_s=config.breaker_window_s,
            min_calls=config.breaker_min_calls,
            failure_rate=config.breaker_failure_rate,
            consecutive_failures=config.breaker_consecutive_failures,
            slow_call_s=None if slow_ms is None else slow_ms / 1000,
            slow_call_rate=config.breaker_slow_call_rate,
            open_s=config.breaker_open_s,
            open_max_s=config.breaker_open_max_s,
            open_jitter=config.breaker_open_jitter,
            half_open_probes=config.breaker_half_open_probes,
            probe_ttl_s=config.breaker_probe_ttl_s,
        )

    def open_interval(self, openings: int, jitter: float) -> float:
        """The ``openings``-th opening in a row lasts this long; ``jitter`` is in (1 - open_jitter, 1]."""
        doublings = min(openings - 1, _MAX_DOUBLINGS)
        return min(self.open_max_s, self.open_s * self.open_multiplier**doublings) * jitter

    def trips(self, calls: int, failures: int, slow: int, consecutive: int) -> bool:
        """Whether a closed breaker with these counts in its window opens."""
        if self.consecutive_failures and consecutive >= self.consecutive_failures:
            return True
        if calls < self.min_calls:
            return False
        return failures >= self.failure_rate * calls or slow >= self.slow_call_rate * calls

    @property
    def key_ttl_s(self) -> int:
        """How long shared state outlives its last write (longer than any window or open interval)."""
        return int(2 * max(self.window_s, self.open_max_s) + self.probe_ttl_s) + 1


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to make one attempt; hand it back to ``BreakerRegistry.record`` with the outcome."""

    label: str
    epoch: int  # the breaker's epoch when granted
    probe: str | None = None  # the probe token, when granted half-open
    local: bool = True  # granted from process-local state (memory store or Redis fallback)


@dataclass(frozen=True, slots=True)
class Observed:
    """A breaker's state after a store operation, and the state before if that operation changed it."""

    state: State
    previous: State | None = None


@dataclass(frozen=True, slots=True)
class BreakerState:
    """One breaker as shown by ``trueport providers status`` and the status endpoint."""

    label: str
    state: State
    calls: int  # in the window (closed state only)
    failure_rate: float
    slow_call_rate: float
    consecutive_failures: int
    openings: int  # openings in a row (what the next open interval grows from)
    opened_until: float | None  # Unix time at which an open breaker lets probes through
    probes_in_flight: int

    def as_json(self) -> JSONObject:
        return {
            "target": self.label,
            "state": self.state.label,
            "calls": self.calls,
            "failure_rate": round(self.failure_rate, 4),
            "slow_call_rate": round(self.slow_call_rate, 4),
            "consecutive_failures": self.consecutive_failures,
            "openings": self.openings,
            "opened_until": self.opened_until,
            "probes_in_flight": self.probes_in_flight,
        }


def window_rates(calls: int, failures: int, slow: int) -> tuple[float, float]:
    if calls == 0:
        return 0.0, 0.0
    return failures / calls, slow / calls


class BreakerStoreUnavailable(Exception):
    """The shared store could not be reached in time (``FallbackBreakerStore`` turns to local state)."""


class BreakerStore(Protocol):
    """Where breaker state lives. Operations are atomic per label."""

    @property
    def backend(self) -> str:
        """``memory``, ``redis``, or ``redis (degraded: local state)``."""
        ...

    async def acquire(self, label: str, policy: BreakerPolicy, token: str) -> tuple[Permit | None, Observed]:
        """A permit (a probe holding ``token`` when half-open), or None when the target must be skipped."""
        ...

    async def record(
        self, permit: Permit, policy: BreakerPolicy, *, failed: bool, slow: bool, jitter: float
    ) -> Observed:
        """Count one outcome; ``jitter`` is the factor for an open interval this may start."""
        ...

    async def read(self, labels: Sequence[str], policy: BreakerPolicy) -> list[BreakerState]: ...


class BreakerRegistry:
    """The breakers of every provider target, as the gateway uses them.

    ``allow`` before an attempt (None: skip the target), ``record`` after it. Never raises because of
    the store: an unreachable shared store means local state (``FallbackBreakerStore``), and a bare
    store that fails lets the attempt through.
    """

    def __init__(
        self,
        store: BreakerStore,
        config: ResilienceConfig | BreakerPolicy,
        *,
        labels: Iterable[str] = (),
        rng: random.Random | None = None,
    ):
        if isinstance(config, BreakerPolicy):
            self.policy, self.enabled = config, True
        else:
            self.policy, self.enabled = BreakerPolicy.from_config(config), config.breaker_enabled
        self._store = store
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self._replica = secrets.token_hex(4)
        self._tokens = itertools.count(1)
        self._seen: dict[str, State] = {}
        for label in labels:
            self._observe(label, Observed(State.CLOSED))

    @property
    def backend(self) -> str:
        return self._store.backend

    async def allow(self, label: str) -> Permit | None:
        if not self.enabled:
            return Permit(label, 0)
        token = f"{self._replica}-{next(self._tokens)}"
        try:
            permit, observed = await self._store.acquire(label, self.policy, token)
        except BreakerStoreUnavailable:
            log.warning("breaker_store_unavailable", target=label)
            return Permit(label, -1)  # fail open: an epoch no breaker has, so the outcome is not counted
        self._observe(label, observed)
        if permit is None:
            BREAKER_REJECTED.labels(label).inc()
        return permit

    async def record(self, permit: Permit, *, ok: bool, duration_s: float) -> None:
        if not self.enabled or permit.epoch < 0:
            return
        policy = self.policy
        slow = policy.slow_call_s is not None and duration_s >= policy.slow_call_s
        jitter = 1.0 - policy.open_jitter * self._rng.random()
        try:
            observed = await self._store.record(permit, policy, failed=not ok, slow=slow, jitter=jitter)
        except BreakerStoreUnavailable:
            log.warning("breaker_store_unavailable", target=permit.label)
            return
        self._observe(permit.label, observed)

    async def snapshot(self) -> list[BreakerState]:
        """Every breaker this process has configured or used, in label order."""
        try:
            return await self._store.read(sorted(self._seen), self.policy)
        except BreakerStoreUnavailable:
            log.warning("breaker_store_unavailable")
            return []

    def _observe(self, label: str, observed: Observed) -> None:
        state = observed.state
        if observed.previous is not None:
            BREAKER_TRANSITIONS.labels(label, observed.previous.label, state.label).inc()
            log.info("breaker_" + state.label, target=label, previous=observed.previous.label)
        if self._seen.get(label) is not state:
            self._seen[label] = state
            BREAKER_STATE.labels(label).set(state.value)
