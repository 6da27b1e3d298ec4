"""The in-memory backend: the embedded mode's state, and the local fallback while Redis is unreachable.

Exact within one process (an operation never awaits half-way, so each is atomic on the event loop);
not shared with other processes. Expired entries are dropped when read and by a sweep every
``_SWEEP_INTERVAL_S``, so old windows do not pile up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from trueport.state import gcra
from trueport.state.protocols import Cell, Message, Paced, Reserved, Window
from trueport.state.subscription import QueueSubscription

T = TypeVar("T")

_SWEEP_INTERVAL_S = 10.0


class _Expiring(Generic[T]):
    """A dict whose entries die at a deadline on ``clock`` (monotonic seconds)."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self._items: dict[str, tuple[T, float]] = {}
        self._next_sweep = clock() + _SWEEP_INTERVAL_S

    def get(self, key: str, now: float) -> T | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] <= now:
            del self._items[key]
            return None
        return item[0]

    def expiry(self, key: str) -> float:
        return self._items[key][1]

    def put(self, key: str, value: T, expires_at: float) -> None:
        self._items[key] = (value, expires_at)
        self._sweep_if_due()

    def pop(self, key: str) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def _sweep_if_due(self) -> None:
        now = self.clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_INTERVAL_S
        for key in [key for key, (_, deadline) in self._items.items() if deadline <= now]:
            del self._items[key]


class MemoryCounters:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._counts: _Expiring[int] = _Expiring(clock)

    async def reserve(self, windows: Sequence[Window], amount: int, ttl_s: float) -> Reserved:
        return self.reserve_now(windows, amount, ttl_s)

    def reserve_now(self, windows: Sequence[Window], amount: int, ttl_s: float) -> Reserved:
        now = self._counts.clock()
        counts = tuple(self._counts.get(window.key, now) or 0 for window in windows)
        limits = tuple(window.limit for window in windows)
        for index, (count, limit) in enumerate(zip(counts, limits, strict=True)):
            if count + amount > limit:
                return Reserved(index, counts, limits)
        return Reserved(None, self._add(now, [w.key for w in windows], amount, ttl_s), limits)

    async def add(self, keys: Sequence[str], delta: int, ttl_s: float) -> tuple[int, ...]:
        return self._add(self._counts.clock(), keys, delta, ttl_s)

    def _add(self, now: float, keys: Sequence[str], delta: int, ttl_s: float) -> tuple[int, ...]:
        counts = []
        for key in keys:
            current = self._counts.get(key, now)
            if current is None:
                if delta <= 0:
                    counts.append(0)
                    continue
                self._counts.put(key, delta, now + ttl_s)
                counts.append(delta)
            else:
                value = max(0, current + delta)
                self._counts.put(key, value, self._counts.expiry(key))
                counts.append(value)
        return tuple(counts)

    async def get(self, key: str) -> int:
        return self._counts.get(key, self._counts.clock()) or 0

    def clear(self) -> None:
        self._counts.clear()


class MemoryCells:
    """GCRA cells; a cell's entry lives until it is full again (then it is as good as missing)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._tats: _Expiring[float] = _Expiring(clock)

    async def acquire(self, cells: Sequence[Cell], cost: int, now: float) -> Paced:
        return self.acquire_now(cells, cost, now)

    def acquire_now(self, cells: Sequence[Cell], cost: int, now: float) -> Paced:
        local = self._tats.clock()
        tats = [self._tats.get(cell.key, local) for cell in cells]
        refused, states, ends = gcra.acquire(cells, tats, cost, now)
        if refused is None:
            for cell, end in zip(cells, ends, strict=True):
                self._tats.put(cell.key, end, local + (end - now))
        return Paced(refused, states, tuple(cell.limit for cell in cells))

    async def adjust(self, cells: Sequence[Cell], delta: int, now: float) -> None:
        local = self._tats.clock()
        for cell in cells:
            tat = gcra.adjust(cell, self._tats.get(cell.key, local), delta, now)
            if tat <= now:
                self._tats.pop(cell.key)
            else:
                self._tats.put(cell.key, tat, local + (tat - now))

    def clear(self) -> None:
        self._tats.clear()


class MemoryKeyValue:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._values: _Expiring[bytes] = _Expiring(clock)

    async def get(self, key: str) -> bytes | None:
        return self._values.get(key, self._values.clock())

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self._values.put(key, value, self._values.clock() + ttl_s)

    async def set_if_absent(self, key: str, value: bytes, ttl_s: float) -> bool:
        now = self._values.clock()
        if self._values.get(key, now) is not None:
            return False
        self._values.put(key, value, now + ttl_s)
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key)


class MemoryPubSub:
    """Delivers to the subscriptions of this process, synchronously, in publication order."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[QueueSubscription]] = {}

    async def publish(self, channel: str, data: bytes) -> None:
        self.publish_now(channel, data)

    def publish_now(self, channel: str, data: bytes) -> int:
        subscribers = self._subscribers.get(channel, ())
        for subscription in subscribers:
            subscription.deliver(Message(channel, data))
        return len(subscribers)

    def subscribe(self, *channels: str) -> MemorySubscription:
        return MemorySubscription(self, channels)

    def attach(self, subscription: QueueSubscription) -> None:
        for channel in subscription.channels:
            self._subscribers.setdefault(channel, set()).add(subscription)

    def detach(self, subscription: QueueSubscription) -> None:
        for channel in subscription.channels:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[channel]


class MemorySubscription(QueueSubscription):
    def __init__(self, bus: MemoryPubSub, channels: tuple[str, ...]):
        super().__init__(channels)
        self._bus = bus

    async def _open(self) -> None:
        self._bus.attach(self)

    async def _close(self) -> None:
        self._bus.detach(self)


class MemoryState:
    """The embedded mode's state. ``clock`` (monotonic seconds) drives expiry; ``wall`` is ``now()``."""

    shared = False
    degraded = False
    fallbacks = 0

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time
    ) -> None:
        self.counters = MemoryCounters(clock)
        self.cells = MemoryCells(clock)
        self.kv = MemoryKeyValue(clock)
        self.pubsub = MemoryPubSub()
        self._wall = wall

    def now(self) -> float:
        return self._wall()

    def clear_limits(self) -> None:
        self.counters.clear()
        self.cells.clear()

    async def close(self) -> None:
        return None
