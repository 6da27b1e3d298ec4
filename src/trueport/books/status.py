"""The recorder's heartbeat, where the serving processes' ``/readyz`` can read it.

The recorder publishes a small status every second: when, how much waits for it (``lag``: bytes in
the local spool, or entries in the stream), how long its writes have been failing. With the local
spool it is a file in the spool directory (``recorder.status``, replaced atomically); with the Redis
stream a key (``trueport:books:recorder``) that expires when the recorder stops beating.

``books_check`` turns it into the ``recorder`` check of ``/readyz``: ``ok``, ``not running`` (no
heartbeat for ``STALE_S``) or ``behind: ...`` (writes failing for longer than ``records.max_lag_s``).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import orjson

from trueport.state.resp import Address, RespClient

STALE_S = 10.0
STATUS_FILE = "recorder.status"
STATUS_KEY = "trueport:books:recorder"


@dataclass(frozen=True, slots=True)
class RecorderStatus:
    at: float  # unix time of the heartbeat
    lag: int
    failing_s: float
    calls: int

    def encode(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def decode(cls, data: bytes) -> RecorderStatus | None:
        try:
            fields = orjson.loads(data)
            return cls(
                float(fields["at"]), int(fields["lag"]), float(fields["failing_s"]), int(fields["calls"])
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None


class StatusBoard(Protocol):
    async def publish(self, status: RecorderStatus) -> None: ...

    async def read(self) -> RecorderStatus | None: ...


class FileBoard:
    def __init__(self, directory: Path):
        self._path = directory / STATUS_FILE

    async def publish(self, status: RecorderStatus) -> None:
        await asyncio.to_thread(self._write, status.encode())

    async def read(self) -> RecorderStatus | None:
        try:
            data = await asyncio.to_thread(self._path.read_bytes)
        except OSError:
            return None
        return RecorderStatus.decode(data)

    def _write(self, data: bytes) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_name(f"{STATUS_FILE}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(self._path)


class RedisBoard:
    def __init__(self, address: Address, *, timeout_s: float):
        self._client = RespClient(address, timeout_s)

    async def publish(self, status: RecorderStatus) -> None:
        await self._client.execute("SET", STATUS_KEY, status.encode(), "PX", int(STALE_S * 1000))

    async def read(self) -> RecorderStatus | None:
        data = await self._client.execute("GET", STATUS_KEY)
        return RecorderStatus.decode(data) if isinstance(data, bytes) else None

    async def close(self) -> None:
        await self._client.close()


async def books_check(board: StatusBoard, max_lag_s: float) -> str | None:
    """None when a recorder is running and writing; otherwise why not."""
    try:
        status = await board.read()
    except (OSError, TimeoutError, ConnectionError):
        return "unknown (the recorder's status cannot be read)"
    if status is None or time.time() - status.at > STALE_S:
        return "not running (no heartbeat)"
    if status.failing_s > max_lag_s:
        return f"behind: the books have not been written for {status.failing_s:.0f} s ({status.lag} waiting)"
    return None
