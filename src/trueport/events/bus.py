"""The bus's protocols, and the buffer every backend publishes through.

A consumer reads as a named member of a group: the group's members share the messages (each goes
to one of them), a message stays pending until it is acknowledged, and one left unacknowledged for
longer than ``min_idle_s`` (its consumer died) can be claimed by another member.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from trueport.events.event import Event

log = structlog.get_logger(__name__)

_MAX_BUFFERED = 10_000
_MAX_BACKOFF_S = 5.0


@dataclass(frozen=True, slots=True)
class Delivered:
    """An event as a consumer received it; ``message_id`` is what ``ack`` takes."""

    message_id: str
    event: Event


class Consumer(Protocol):
    group: str
    name: str

    async def read(self, count: int = 100, block_s: float = 1.0) -> list[Delivered]:
        """New events for this group (up to ``count``), waiting up to ``block_s`` for the first."""
        ...

    async def ack(self, delivered: Sequence[Delivered]) -> None: ...

    async def claim(self, min_idle_s: float, count: int = 100) -> list[Delivered]:
        """Events other members read but did not acknowledge within ``min_idle_s``; now this one's."""
        ...

    async def close(self) -> None: ...


class EventBus(Protocol):
    dropped: int

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
