"""What the rest of TruePort may ask of shared state; ``memory`` and ``redis`` both provide all of it.

Every operation that must be atomic across replicas is one call here (a single command or one Lua
script in Redis), and takes everything it needs as arguments, so that the in-memory backend can
implement the same semantics in plain Python. Code above ``trueport.state`` sees only these types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Window:
    """One fixed-window counter to check: its key (which names the window) and its limit."""

    key: str
    limit: int


@dataclass(frozen=True, slots=True)
class Reserved:
    """The outcome of ``WindowCounters.reserve``.

    ``counts`` are the counters' values after the call (unchanged when refused); ``limits`` are the
    limits that were applied: the ones asked for, or a share of them while the state is degraded.
    """

    refused: int | None  # index of the first window that had no room; None: added to every window
    counts: tuple[int, ...]
    limits: tuple[int, ...]

    @property
    def admitted(self) -> bool:
        return self.refused is None


class WindowCounters(Protocol):
    """Integer counters that expire with their window (``rate_limit:{key}:{minute}`` and the like)."""

    async def reserve(self, windows: Sequence[Window], amount: int, ttl_s: float) -> Reserved:
        """Add ``amount`` to every window if each stays within its limit, else to none (atomic).

        A counter created here expires ``ttl_s`` after its first use.
        """
        ...

    async def add(self, keys: Sequence[str], delta: int, ttl_s: float) -> tuple[int, ...]:
        """Add ``delta`` to each counter, without a limit; the new values.

        A positive delta creates missing counters (expiring after ``ttl_s``); a negative one only
        lowers counters that still exist, and never below zero.
        """
        ...

    async def get(self, key: str) -> int:
        """A counter's value (0 if missing or expired)."""
        ...


@dataclass(frozen=True, slots=True)
class Cell:
    """One GCRA cell: ``limit`` units per ``period_s``, of which ``burst`` may pass at once."""

    key: str
    limit: int
    period_s: float
    burst: int

    @property
    def interval_s(self) -> float:
        """The emission interval: how long one unit takes to come back."""
        return self.period_s / self.limit


@dataclass(frozen=True, slots=True)
class CellState:
    """One cell after a check: units available now, time until it is full again, wait to retry."""

    remaining: int
    reset_s: float
    retry_after_s: float  # 0 when the cost fits now


@dataclass(frozen=True, slots=True)
class Paced:
    """The outcome of ``RateCells.acquire``; ``limits`` as in ``Reserved``."""

    refused: int | None
    cells: tuple[CellState, ...]
    limits: tuple[int, ...]

    @property
    def admitted(self) -> bool:
        return self.refused is None


class RateCells(Protocol):
    """Smooth limits by the generic cell rate algorithm (GCRA): O(1) state, one timestamp per cell."""

    async def acquire(self, cells: Sequence[Cell], cost: int, now: float) -> Paced:
        """Take ``cost`` units from every cell if each has them at ``now`` (epoch s), else from none."""
        ...

    async def adjust(self, cells: Sequence[Cell], delta: int, now: float) -> None:
        """Take ``delta`` more units (negative: give them back), without a limit."""
        ...


class KeyValue(Protocol):
    """Bytes under string keys with a time to live (idempotency keys, the response cache)."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    async def set_if_absent(self, key: str, value: bytes, ttl_s: float) -> bool:
        """Store ``value`` only if ``key`` holds nothing; True if stored (atomic)."""
        ...

    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Message:
    """One published message; or, with ``resync``, notice that messages on ``channel`` may have been
    missed (the subscription was cut and is back): the subscriber should reload what it follows."""

    channel: str
    data: bytes
    resync: bool = False


class Subscription(Protocol):
    """Messages on some channels, in order; a context manager that unsubscribes on exit."""

    async def __aenter__(self) -> Subscription: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def __aiter__(self) -> AsyncIterator[Message]: ...

    async def __anext__(self) -> Message: ...


class PubSub(Protocol):
    """Fire-and-forget broadcast (configuration push). Messages sent while nobody listens are lost."""

    async def publish(self, channel: str, data: bytes) -> None: ...

    def subscribe(self, *channels: str) -> Subscription:
        """Use as ``async with state.pubsub.subscribe("config") as messages: async for m in messages``."""
        ...


class State(Protocol):
    """The shared state of one process: in memory (embedded mode) or in Redis (replicas)."""

    @property
    def counters(self) -> WindowCounters: ...

    @property
    def cells(self) -> RateCells: ...

    @property
    def kv(self) -> KeyValue: ...

    @property
    def pubsub(self) -> PubSub: ...

    @property
    def shared(self) -> bool:
        """True if other replicas see this state (Redis), False for the embedded in-memory state."""
        ...

    @property
    def degraded(self) -> bool:
        """True while Redis is configured but unreachable and operations are served locally."""
        ...

    @property
    def fallbacks(self) -> int:
        """Operations served locally because Redis was unreachable, since start."""
        ...

    def now(self) -> float:
        """Seconds since the epoch on a clock every replica agrees on (Redis ``TIME``)."""
        ...

    async def close(self) -> None: ...
