"""Where the recorder reads finished calls from: the local spool, or the Redis stream.

A source hands out chunks of lines (``read``) and forgets a chunk once the recorder has written it
(``ack``). A chunk not acknowledged (the recorder failed, or was killed) is handed out again: by the
same source object at its next ``read`` (it keeps it), or after a restart from where the durable log
says the reader got to. The recorder drops what the books already have, so a chunk read twice is
written once.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, cast

import structlog

from trueport.books.handoff import STREAM_KEY
from trueport.books.spool import SpoolTail, TailFile
from trueport.state.resp import Address, Reply, ReplyError, RespClient

log = structlog.get_logger(__name__)

GROUP = "recorders"
_MAX_BLOCK_S = 1.0


@dataclass(slots=True)
class Chunk:
    lines: list[bytes]
    token: object = None  # what the source needs to acknowledge it
    ids: list[bytes] = field(default_factory=list)


class Source(Protocol):
    name: str
    active: bool  # this recorder reads it (a spool has one reader; the others stand by)

    async def read(self, max_lines: int, wait_s: float) -> Chunk | None:
        """The next chunk, waiting up to ``wait_s`` for one (None: nothing came)."""
        ...

    async def ack(self, chunk: Chunk) -> None: ...

    async def lag(self) -> int:
        """How much is waiting (bytes for the spool, entries for the stream), for health and metrics."""
        ...

    async def close(self) -> None: ...


class SpoolSource:
    """Tails the local spool directory; stands by while another recorder holds it."""

    name = "spool"

    def __init__(self, directory: Path, *, poll_s: float = 0.02):
        self._tail = SpoolTail(directory)
        self._poll_s = poll_s
        self.active = False

    async def read(self, max_lines: int, wait_s: float) -> Chunk | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            if not self.active:
                self.active = await asyncio.to_thread(self._tail.acquire)
                if self.active:
                    log.info("recorder_reading_spool", directory=str(self._tail.directory))
            if self.active:
                found = await asyncio.to_thread(self._tail.read, max_lines)
                if found is not None:
                    return Chunk(found[1], found[0])
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(self._poll_s if self.active else min(1.0, wait_s))

    async def ack(self, chunk: Chunk) -> None:
        await asyncio.to_thread(self._tail.mark, cast(TailFile, chunk.token), chunk.lines)

    async def lag(self) -> int:
        return await asyncio.to_thread(self._tail.pending_bytes) if self.active else 0

    async def close(self) -> None:
        await asyncio.to_thread(self._tail.close)


class StreamSource:
    """A member of the ``recorders`` group on the ``trueport:books`` stream.

    First it reads what it had pending before a restart (its name is stable per host and
    ``recorder.name``), then new entries; entries another member left pending for ``claim_idle_s``
    (it died) are claimed. ``ack`` acknowledges and deletes them: the stream holds only what is not in
    the books yet.
    """

    name = "stream"
    active = True  # every member of the group reads

    def __init__(self, address: Address, *, timeout_s: float, member: str | None, claim_idle_s: float = 30.0):
        self._client = RespClient(address, timeout_s + _MAX_BLOCK_S)
        self.member = member or f"{socket.gethostname()}-{os.getpid()}"
        self._claim_idle_ms = int(claim_idle_s * 1000)
        self._grouped = False
        self._own_pending = True  # read our own pending entries (ID 0) before new ones
        self._next_claim = 0.0

    async def read(self, max_lines: int, wait_s: float) -> Chunk | None:
        await self._ensure_group()
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_claim:
            self._next_claim = loop.time() + 5.0
            claimed = await self._claim(max_lines)
            if claimed is not None:
                return claimed
        start = "0" if self._own_pending else ">"
        command: list[str | int] = ["XREADGROUP", "GROUP", GROUP, self.member, "COUNT", max_lines]
        if not self._own_pending and wait_s > 0:
            command += ["BLOCK", max(1, int(min(wait_s, _MAX_BLOCK_S) * 1000))]
        try:
            reply = await self._client.execute(*command, "STREAMS", STREAM_KEY, start)
        except ReplyError as exc:
            if exc.code != "NOGROUP":
                raise
            self._grouped = False  # Redis restarted empty: the group is made again
            return None
        entries = _entries(reply)
        if self._own_pending and not entries:
            self._own_pending = False
            return await self.read(max_lines, wait_s)
        return _chunk(entries) if entries else None

    async def ack(self, chunk: Chunk) -> None:
        if chunk.ids:
            await self._client.pipeline(
                [["XACK", STREAM_KEY, GROUP, *chunk.ids], ["XDEL", STREAM_KEY, *chunk.ids]]
            )

    async def lag(self) -> int:
        reply = await self._client.execute("XLEN", STREAM_KEY)
        return reply if isinstance(reply, int) else 0

    async def close(self) -> None:
        await self._client.close()

    async def _claim(self, count: int) -> Chunk | None:
        reply = await self._client.execute(
            "XAUTOCLAIM", STREAM_KEY, GROUP, self.member, self._claim_idle_ms, "0-0", "COUNT", count
        )
        entries = reply[1] if isinstance(reply, list) else []
        found = [entry for entry in cast("list[list[Reply]]", entries) if entry and entry[1] is not None]
        if found:
            log.warning("recorder_claimed_entries", entries=len(found))
            return _chunk(found)
        return None

    async def _ensure_group(self) -> None:
        if self._grouped:
            return
        try:
            await self._client.execute("XGROUP", "CREATE", STREAM_KEY, GROUP, "0", "MKSTREAM")
        except ReplyError as exc:
            if exc.code != "BUSYGROUP":
                raise
        self._grouped = True


def _entries(reply: Reply) -> list[list[Reply]]:
    if not isinstance(reply, list) or not reply:
        return []
    stream = cast("list[Reply]", reply[0])
    return [entry for entry in cast("list[list[Reply]]", stream[1]) if entry]


def _chunk(entries: Sequence[list[Reply]]) -> Chunk:
    ids: list[bytes] = []
    lines: list[bytes] = []
    for entry in entries:
        ids.append(cast(bytes, entry[0]))
        fields = cast("list[bytes] | None", entry[1])
        # an entry whose fields are gone (deleted meanwhile) or not ours is acknowledged with the rest
        lines.append(fields[1] if fields and len(fields) >= 2 and fields[0] == b"c" else b"")
    return Chunk(lines, None, ids)
