"""The bus's protocols, and the buffer every backend publishes through.

A consumer reads as a named member of a group: the group's members share the messages (each goes
to one of them), a message stays pending until it is acknowledged, and one left unacknowledged for
longer than ``min_idle_s`` (its consumer died, or its handler failed) can be claimed by another member.

Dead letters: each read or claim of a message is one *delivery*. A message still unacknowledged after
``max_deliveries`` deliveries (5 by default) is not handed out again: the next ``claim`` that finds
it idle moves it to its topic's dead-letter store (with the group, the number of deliveries, the last
error a consumer reported through ``fail``, and the time) and acknowledges it, so the group moves on.
An entry that is not an event at all is parked at once. Each group parks its own copy (the groups
of a topic are independent). ``bus.dead_letters`` lists, replays (publishes it to its topic again, for
the group that parked it only: the topic's other groups do not see it twice) and discards them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from trueport.events.event import Event

log = structlog.get_logger(__name__)

_MAX_BUFFERED = 10_000
_MAX_BACKOFF_S = 5.0
MAX_DELIVERIES = 5
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Delivered:
    """An event as a consumer received it; ``message_id`` is what ``ack`` takes. ``deliveries`` counts
    this delivery: 1 when first read, one more for every claim."""

    message_id: str
    event: Event
    deliveries: int = 1


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message parked in its topic's dead-letter store. ``payload`` is what was published, byte for
    byte (``event`` is it decoded, None when it is not an event)."""

    id: str  # in the dead-letter store
    topic: str
    group: str
    consumer: str
    message_id: str  # in the topic's stream, when it was parked
    deliveries: int
    error: str
    parked_at: datetime
    payload: bytes
    event: Event | None


class DeadLetters(Protocol):
    """The parked messages of every topic (installation-wide)."""

    async def count(self, topic: str) -> int: ...

    async def list(self, topic: str, limit: int, after: str | None = None) -> tuple[list[DeadLetter], bool]:
        """Oldest first, up to ``limit`` after the id ``after``; and whether there are more."""
        ...

    async def get(self, topic: str, letter_id: str) -> DeadLetter | None: ...

    async def replay(self, topic: str, letter_id: str) -> str | None:
        """Publish the parked payload to ``topic`` again, for the group that parked it, and remove it
        from the store, atomically; the new message's id, or None when there is no such dead letter
        (any more)."""
        ...

    async def discard(self, topic: str, letter_id: str) -> bool: ...


class Consumer(Protocol):
    group: str
    name: str

    async def read(self, count: int = 100, block_s: float = 1.0) -> list[Delivered]:
        """New events for this group (up to ``count``), waiting up to ``block_s`` for the first."""
        ...

    async def ack(self, delivered: Sequence[Delivered]) -> None: ...

    async def fail(self, delivered: Sequence[Delivered], error: str) -> None:
        """These could not be handled: they stay pending (a ``claim`` delivers them again once idle),
        and ``error`` is kept for the dead letter should they be parked."""
        ...

    async def claim(self, min_idle_s: float, count: int = 100) -> list[Delivered]:
        """Events other members read but did not acknowledge within ``min_idle_s``; now this one's.
        Those already delivered ``max_deliveries`` times are parked instead (see the module)."""
        ...

    async def close(self) -> None: ...


class EventBus(Protocol):
    dropped: int

    @property
    def dead_letters(self) -> DeadLetters: ...

    def publish(self, topic: str, event: Event) -> None:
        """Queue ``event`` (never blocks, never raises for want of a backend)."""
        ...

    async def flush(self) -> None:
        """Forward everything queued now (tests and shutdown)."""
        ...

    def consumer(self, topics: Sequence[str], group: str, name: str) -> Consumer: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class Forwarder:
    """The in-memory queue behind ``publish`` and the task that hands it to the backend in batches.

    At most ``max_buffered`` events wait (the oldest beyond that are dropped and counted): a backend
    that is away must not grow the gateway's memory without bound.
    """

    def __init__(self, max_buffered: int = _MAX_BUFFERED):
        self._queue: deque[Event] = deque()
        self._max = max_buffered
        self._wake = asyncio.Event()
        self._sending = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def publish(self, topic: str, event: Event) -> None:
        if event.topic != topic:
            raise ValueError(f"an event of {event.topic!r} published to {topic!r}")
        self._queue.append(event)
        if len(self._queue) > self._max:
            self._queue.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error("events_dropped", dropped=self.dropped)
        self._wake.set()

    async def send(self, batch: list[Event]) -> None:
        """Hand one batch to the backend; raise to have it retried."""
        raise NotImplementedError

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event-forwarder")

    async def close(self) -> None:
        """Forward what is queued (for up to 5 s), then stop."""
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(5.0):
                await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def flush(self) -> None:
        while self._queue:
            await self._send_batch()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
                backoff = 0.1
            except (OSError, TimeoutError) as exc:
                log.warning("events_forward_failed", error=type(exc).__name__, pending=len(self._queue))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                self._wake.set()

    async def _send_batch(self) -> None:
        async with self._sending:
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), 500))]
            if not batch:
                return
            try:
                await self.send(batch)
            except BaseException:
                self._queue.extendleft(reversed(batch))  # in order, ahead of what came since
                raise
