"""Retry behaviour around provider calls: which failures to repeat, the backoff, the budget, the deadline.

The loop that uses them is ``trueport.gateway.failover`` (retries share it with circuit breakers and
failover, since each attempt needs a breaker permit). A retry repeats an attempt on the *same* target,
before the first byte reached the client, and only:

- when the failure could pass (``RetryPolicy.retries``: the error is ``retryable`` and is not the
  target's credential being refused, which a retry cannot fix: failover moves on at once);
- within ``max_attempts`` per target and the request's ``Deadline``;
- while the ``RetryBudget`` allows: retries stay under a share of requests over a rolling window, so
  in an outage the gateway does not multiply the load on a failing provider.

Backoff is "full jitter": a uniform draw between 0 and ``backoff_s`` x 2^(retry-1), capped.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from trueport.errors import UpstreamError
from trueport.settings import ResilienceConfig

_NOT_RETRIED_STATUSES = frozenset({401, 403})  # this target's credential: a retry gets the same answer


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 2  # per target, the first included
    backoff_s: float = 0.05
    backoff_max_s: float = 2.0
    attempt_timeout_s: float | None = None  # None: the provider's own timeouts, within the deadline

    @classmethod
    def from_config(cls, config: ResilienceConfig) -> RetryPolicy:
        return cls(
            max_attempts=config.retry_max_attempts,
            backoff_s=config.retry_backoff_s,
            backoff_max_s=config.retry_backoff_max_s,
            attempt_timeout_s=config.attempt_timeout_s,
        )

    def retries(self, error: UpstreamError) -> bool:
        """Whether repeating the attempt on the same target could succeed."""
        return error.retryable and error.status not in _NOT_RETRIED_STATUSES

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before the ``retry``-th retry (1-based): full jitter."""
        cap = min(self.backoff_max_s, self.backoff_s * 2.0 ** min(retry - 1, 32))
        return rng.uniform(0.0, cap)


class RetryBudget:
    """Retries allowed: ``ratio`` x requests + ``min_per_s`` x ``window_s``, over a rolling window.

    Counted per process (each replica holds its own share). ``deposit`` once per request,
    ``try_spend`` before each retry. The window moves in ``buckets`` steps.
    """

    def __init__(
        self,
        ratio: float = 0.2,
        min_per_s: float = 1.0,
        window_s: float = 10.0,
        *,
        buckets: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.ratio = ratio
        self.minimum = min_per_s * window_s
        self._width = window_s / buckets
        self._buckets = buckets
        self._clock = clock
        self._counts: dict[int, list[int]] = {}  # bucket number -> [requests, retries]
        self._current = -1
        self._requests = 0  # totals over the buckets in the window
        self._retries = 0

    @classmethod
    def from_config(cls, config: ResilienceConfig) -> RetryBudget:
        return cls(config.retry_budget_ratio, config.retry_budget_min_per_s, config.retry_budget_window_s)

    def deposit(self) -> None:
        self._bucket()[0] += 1
        self._requests += 1

    def try_spend(self) -> bool:
        counts = self._bucket()
        if self._retries + 1 > self.ratio * self._requests + self.minimum:
            return False
        counts[1] += 1
        self._retries += 1
        return True

    @property
    def spent(self) -> tuple[int, int]:
        """(requests, retries) in the current window."""
        self._bucket()
        return self._requests, self._retries

    def _bucket(self) -> list[int]:
        number = int(self._clock() // self._width)
        if number != self._current:
            self._current = number
            oldest = number - self._buckets
            for old in [old for old in self._counts if old <= oldest]:
                requests, retries = self._counts.pop(old)
                self._requests -= requests
                self._retries -= retries
            self._counts.setdefault(number, [0, 0])
        return self._counts[number]


class Deadline:
    """The time a request may spend before its answer starts: every attempt and backoff."""

    __slots__ = ("_clock", "at", "seconds")

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - self._clock())

    @property
    def expired(self) -> bool:
        return self._clock() >= self.at

    def attempt_timeout(self, cap: float | None) -> float:
        """How long the next attempt may take: what is left, at most ``cap``."""
        return min(self.remaining(), math.inf if cap is None else cap)
