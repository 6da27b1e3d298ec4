"""The in-process bus (embedded mode): the same group semantics as Redis Streams, in memory.

A group sees the events published after it was created; its members share them; an event stays
pending until acknowledged and can be claimed by another member after ``min_idle_s``. Deliveries are
counted and dead letters parked as on Redis (see ``trueport.events.bus``), in a per-topic store of at
most ``max_dead_letters`` (the oldest go first). Nothing survives a restart (use Redis for that).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from trueport import metrics
from trueport.events.bus import MAX_DELIVERIES, MAX_ERROR_CHARS, DeadLetter, Delivered, Forwarder
from trueport.events.event import Event

log = structlog.get_logger(__name__)


@dataclass
class _Pending:
    delivered: Delivered
    owner: str
    read_at: float
    error: str | None = None


@dataclass
class _Group:
    topic: str
    name: str
    unread: deque[Delivered] = field(default_factory=deque)
    pending: dict[str, _Pending] = field(default_factory=dict)


class MemoryBus(Forwarder):
    def __init__(
        self,
        max_buffered: int = 10_000,
        *,
        max_deliveries: int = MAX_DELIVERIES,
        max_dead_letters: int = 10_000,
    ):
        super().__init__(max_buffered)
        self.max_deliveries = max_deliveries
        self._groups: dict[tuple[str, str], _Group] = {}
        self._arrived = asyncio.Condition()
        self._sequence = itertools.count(1)
        self._dead_letters = MemoryDeadLetters(self, max_dead_letters)

    @property
    def dead_letters(self) -> MemoryDeadLetters:
        return self._dead_letters

    async def send(self, batch: list[Event]) -> None:
        for event in batch:
            self._append(event)
        await self._notify()

    def _append(self, event: Event, only_group: str | None = None) -> str:
        """Hand ``event`` to the groups of its topic (``only_group``: a replay, for that one)."""
        message_id = f"{next(self._sequence)}-0"
        for (topic, name), group in self._groups.items():
            if topic == event.topic and only_group in (None, name):
                group.unread.append(Delivered(message_id, event))
        return message_id

    async def _notify(self) -> None:
        async with self._arrived:
            self._arrived.notify_all()

    def consumer(self, topics: Sequence[str], group: str, name: str) -> MemoryConsumer:
        groups = [self._groups.setdefault((topic, group), _Group(topic, group)) for topic in topics]
        return MemoryConsumer(self, groups, group, name)


class MemoryConsumer:
    def __init__(self, bus: MemoryBus, groups: list[_Group], group: str, name: str):
        self._bus = bus
        self._groups = groups
        self.group = group
        self.name = name
        self.parked = 0

    async def read(self, count: int = 100, block_s: float = 1.0) -> list[Delivered]:
        taken = self._take(count)
        if taken or block_s <= 0:
            return taken
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(block_s), self._bus._arrived:
                await self._bus._arrived.wait_for(lambda: any(group.unread for group in self._groups))
        return self._take(count)

    def _take(self, count: int) -> list[Delivered]:
        taken: list[Delivered] = []
        now = time.monotonic()
        for group in self._groups:
            while group.unread and len(taken) < count:
                delivered = group.unread.popleft()
                group.pending[delivered.message_id] = _Pending(delivered, self.name, now)
                taken.append(delivered)
        return taken

    async def ack(self, delivered: Sequence[Delivered]) -> None:
        for item in delivered:
            for group in self._groups:
                group.pending.pop(item.message_id, None)

    async def fail(self, delivered: Sequence[Delivered], error: str) -> None:
        for item in delivered:
            for group in self._groups:
                pending = group.pending.get(item.message_id)
                if pending is not None:
                    pending.error = error[:MAX_ERROR_CHARS]

    async def claim(self, min_idle_s: float, count: int = 100) -> list[Delivered]:
        now = time.monotonic()
        claimed: list[Delivered] = []
        for group in self._groups:
            for message_id, pending in list(group.pending.items()):
                if len(claimed) >= count or now - pending.read_at < min_idle_s:
                    continue
                delivered = pending.delivered
                if delivered.deliveries >= self._bus.max_deliveries:
                    del group.pending[message_id]
                    self._park(group, pending)
                    continue
                again = dataclasses.replace(delivered, deliveries=delivered.deliveries + 1)
                group.pending[message_id] = _Pending(again, self.name, now, pending.error)
                claimed.append(again)
        return claimed

    def _park(self, group: _Group, pending: _Pending) -> None:
        delivered = pending.delivered
        error = (
            pending.error or f"not acknowledged after {delivered.deliveries} deliveries (no error reported)"
        )
        self._bus.dead_letters.add(
            group.topic,
            group.name,
            self.name,
            delivered.message_id,
            delivered.deliveries,
            error,
            delivered.event,
        )
        self.parked += 1
        metrics.BUS_DEAD_LETTERS.labels(group.topic, group.name).inc()
        log.warning(
            "event_parked",
            topic=group.topic,
            group=group.name,
            message_id=delivered.message_id,
            deliveries=delivered.deliveries,
        )

    async def close(self) -> None:
        return None


class MemoryDeadLetters:
    """Each topic's parked messages, oldest first (ids ``N-0`` like the bus's)."""

    def __init__(self, bus: MemoryBus, max_per_topic: int):
        self._bus = bus
        self._max = max_per_topic
        self._topics: dict[str, OrderedDict[str, DeadLetter]] = {}
        self._sequence = itertools.count(1)

    def add(
        self,
        topic: str,
        group: str,
        consumer: str,
        message_id: str,
        deliveries: int,
        error: str,
        event: Event,
    ) -> DeadLetter:
        letter = DeadLetter(
            id=f"{next(self._sequence)}-0",
            topic=topic,
            group=group,
            consumer=consumer,
            message_id=message_id,
            deliveries=deliveries,
            error=error,
            parked_at=datetime.now(UTC),
            payload=event.encode(),
            event=event,
        )
        letters = self._topics.setdefault(topic, OrderedDict())
        letters[letter.id] = letter
        while len(letters) > self._max:
            letters.popitem(last=False)
        return letter

    def _of(self, topic: str) -> OrderedDict[str, DeadLetter]:
        return self._topics.get(topic) or OrderedDict()

    async def count(self, topic: str) -> int:
        return len(self._of(topic))

    async def list(self, topic: str, limit: int, after: str | None = None) -> tuple[list[DeadLetter], bool]:
        floor = _sequence_of(after) if after else 0
        letters = [letter for letter in self._of(topic).values() if _sequence_of(letter.id) > floor]
        return letters[:limit], len(letters) > limit

    async def get(self, topic: str, letter_id: str) -> DeadLetter | None:
        return self._of(topic).get(letter_id)

    async def replay(self, topic: str, letter_id: str) -> str | None:
        letter = self._of(topic).get(letter_id)
        if letter is None or letter.event is None:
            return None
        del self._of(topic)[letter_id]
        message_id = self._bus._append(letter.event, letter.group)
        await self._bus._notify()
        return message_id

    async def discard(self, topic: str, letter_id: str) -> bool:
        return self._of(topic).pop(letter_id, None) is not None


def _sequence_of(letter_id: str) -> int:
    head = letter_id.split("-", 1)[0]
    return int(head) if head.isdigit() else 0
