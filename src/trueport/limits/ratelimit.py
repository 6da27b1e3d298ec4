"""Requests-per-minute limits per key.

This is the in-process backend: a fixed window per key per minute, exact within one process. A later
backend shares the counters across replicas through Redis behind the same ``RateLimiter`` protocol.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: float  # seconds until the window resets


class RateLimiter(Protocol):
    def hit(self, key_id: str, limit: int) -> Decision: ...


class LocalFixedWindow:
    """Counts per ``(key, minute)``; old windows are dropped as the minute turns."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key_id: str, limit: int) -> Decision:
        now = self._clock()
        window = int(now // 60)
        if window != self._window:
            self._window = window
            self._counts = {}
        count = self._counts.get(key_id, 0)
        reset = 60.0 - (now % 60)
        if count >= limit:
            return Decision(False, limit, 0, reset)
        self._counts[key_id] = count + 1
        return Decision(True, limit, limit - count - 1, reset)
