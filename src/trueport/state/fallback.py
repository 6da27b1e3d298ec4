"""Redis first, the local memory backend when Redis is unavailable (see ``link.Link``).

While degraded, limits are enforced per process at ``local_share`` of the global limit (never below
1): with N replicas behind one balancer, ``local_share = 1/N`` keeps the total near the global
limit; 1.0 lets each replica admit the whole limit. Local counts start from what this process
counted locally (Redis's count cannot be read), and are not copied to Redis when it returns. So in
a window that an outage cuts through, up to ``N * local_share`` times the limit may pass on top of
what Redis had admitted (with ``1/N``: at most twice the limit); the next window is exact again.
A call that timed out may still have run in Redis: it is then counted there and here (the strict
side of wrong).

Key/value operations fall back to this process's memory: entries written during an outage are not
seen by other replicas and are not in Redis afterwards (an idempotent replay or a cache hit may be
missed, never served wrongly).
"""

from __future__ import annotations

from collections.abc import Sequence

from trueport.state.link import Link, Unavailable
from trueport.state.memory import MemoryCells, MemoryCounters, MemoryKeyValue
from trueport.state.protocols import Cell, KeyValue, Paced, RateCells, Reserved, Window, WindowCounters


def local_limit(limit: int, share: float) -> int:
    return max(1, int(limit * share))


class FallbackCounters:
    def __init__(self, link: Link, remote: WindowCounters, local: MemoryCounters, share: float):
        self._link = link
        self._remote = remote
        self._local = local
        self._share = share

    async def reserve(self, windows: Sequence[Window], amount: int, ttl_s: float) -> Reserved:
        try:
            return await self._link.run(lambda: self._remote.reserve(windows, amount, ttl_s))
        except Unavailable:
            local = [Window(w.key, local_limit(w.limit, self._share)) for w in windows]
            return self._local.reserve_now(local, amount, ttl_s)

    async def add(self, keys: Sequence[str], delta: int, ttl_s: float) -> tuple[int, ...]:
        try:
            return await self._link.run(lambda: self._remote.add(keys, delta, ttl_s))
        except Unavailable:
            return await self._local.add(keys, delta, ttl_s)

    async def get(self, key: str) -> int:
        try:
            return await self._link.run(lambda: self._remote.get(key))
        except Unavailable:
            return await self._local.get(key)


class FallbackCells:
    def __init__(self, link: Link, remote: RateCells, local: MemoryCells, share: float):
        self._link = link
        self._remote = remote
        self._local = local
        self._share = share

    async def acquire(self, cells: Sequence[Cell], cost: int, now: float) -> Paced:
        try:
            return await self._link.run(lambda: self._remote.acquire(cells, cost, now))
        except Unavailable:
            return self._local.acquire_now([self._scaled(cell) for cell in cells], cost, now)

    async def adjust(self, cells: Sequence[Cell], delta: int, now: float) -> None:
        try:
            await self._link.run(lambda: self._remote.adjust(cells, delta, now))
        except Unavailable:
            await self._local.adjust([self._scaled(cell) for cell in cells], delta, now)

    def _scaled(self, cell: Cell) -> Cell:
        limit = local_limit(cell.limit, self._share)
        return Cell(cell.key, limit, cell.period_s, min(limit, local_limit(cell.burst, self._share)))


class FallbackKeyValue:
    def __init__(self, link: Link, remote: KeyValue, local: MemoryKeyValue):
        self._link = link
        self._remote = remote
        self._local = local

    async def get(self, key: str) -> bytes | None:
        try:
            return await self._link.run(lambda: self._remote.get(key))
        except Unavailable:
            return await self._local.get(key)

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        try:
            await self._link.run(lambda: self._remote.set(key, value, ttl_s))
        except Unavailable:
            await self._local.set(key, value, ttl_s)

    async def set_if_absent(self, key: str, value: bytes, ttl_s: float) -> bool:
        try:
            return await self._link.run(lambda: self._remote.set_if_absent(key, value, ttl_s))
        except Unavailable:
            return await self._local.set_if_absent(key, value, ttl_s)

    async def delete(self, key: str) -> None:
        try:
            await self._link.run(lambda: self._remote.delete(key))
        except Unavailable:
            await self._local.delete(key)
