"""The in-process bus (embedded mode): the same group semantics as Redis Streams, in memory.

A group sees the events published after it was created; its members share them; an event stays
pending until acknowledged and can be claimed by another member after ``min_idle_s``. Nothing
survives a restart (use Redis for that).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from trueport.events.bus import Delivered, Forwarder
from trueport.events.event import Event


@dataclass
class _Group:
    unread: deque[Delivered] = field(default_factory=deque)
    pending: dict[str, tuple[Delivered, str, float]] = field(default_factory=dict)  # owner, read at


class MemoryBus(Forwarder):
    def __init__(self, max_buffered: int = 10_000):
        super().__init__(max_buffered)
        self._groups: dict[tuple[str, str], _Group] = {}
        self._arrived = asyncio.Condition()
        self._sequence = itertools.count(1)

    async def send(self, batch: list[Event]) -> None:
        for event in batch:
            message_id = f"{next(self._sequence)}-0"
            for (topic, _), group in self._groups.items():
                if topic == event.topic:
                    group.unread.append(Delivered(message_id, event))
        async with self._arrived:
            self._arrived.notify_all()

    def consumer(self, topics: Sequence[str], group: str, name: str) -> MemoryConsumer:
        groups = [self._groups.setdefault((topic, group), _Group()) for topic in topics]
        return MemoryConsumer(self, groups, group, name)


class MemoryConsumer:
    def __init__(self, bus: MemoryBus, groups: list[_Group], group: str, name: str):
        self._bus = bus
        self._groups = groups
        self.group = group
        self.name = name

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
                group.pending[delivered.message_id] = (delivered, self.name, now)
                taken.append(delivered)
        return taken

    async def ack(self, delivered: Sequence[Delivered]) -> None:
        for item in delivered:
            for group in self._groups:
                group.pending.pop(item.message_id, None)

    async def claim(self, min_idle_s: float, count: int = 100) -> list[Delivered]:
        now = time.monotonic()
        claimed: list[Delivered] = []
        for group in self._groups:
            for message_id, (delivered, _, read_at) in list(group.pending.items()):
                if len(claimed) < count and now - read_at >= min_idle_s:
                    group.pending[message_id] = (delivered, self.name, now)
                    claimed.append(delivered)
        return claimed

    async def close(self) -> None:
        return None
