"""The serving process's half of the books: finished calls handed to a durable log, in groups.

``submit(line)`` queues a call's line and returns; ``await durable(line)`` queues it and returns once
it is durable (a 2xx answer waits for that before its last bytes go out). One task writes what is
queued as one group: at once when somebody waits, else every ``flush_interval_s``. Two logs:

- ``SpoolHandoff`` (the embedded default): one ``write`` + ``fsync`` of this process's file in the local
  spool (``trueport.books.spool``). Durable as the replica's disk is.
- ``StreamHandoff`` (``recorder.handoff: redis``): one pipelined ``XADD`` per group to the Redis stream
  ``trueport:books``. Durable as Redis is (``appendonly yes``; ``appendfsync always`` for every write
  on disk before the reply, ``everysec`` loses at most the last second if the Redis host fails), and
  independent of the replica: a replica whose disk disappears with it loses nothing it acknowledged.
  While Redis fails, groups go to the local spool instead (durable as the disk is, as documented),
  and a forwarder moves them to the stream once it answers again.

A failed write keeps its group queued, in order, and is retried with backoff; nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from pathlib import Path

import structlog

from trueport import metrics
from trueport.books.spool import SpoolTail, SpoolWriter
from trueport.state.resp import Address, RespClient

log = structlog.get_logger(__name__)

STREAM_KEY = "trueport:books"
_MAX_BACKOFF_S = 2.0
_FORWARD_CHUNK = 500


class Handoff:
    """Group writing of lines with waiters; subclasses say where a group goes (``_write``)."""

    name = "handoff"

    def __init__(self, *, flush_interval_s: float = 0.05, batch_size: int = 1000):
        self._interval = flush_interval_s
        self._batch_size = batch_size
        self._lines: deque[bytes] = deque()
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._progress_at = time.monotonic()
        self.written = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._lines)

    def submit(self, line: bytes) -> None:
        """Queue a line; it is written with the next group (never blocks, never raises)."""
        if not self._lines:
            self._progress_at = time.monotonic()
        self._lines.append(line)
        if len(self._lines) >= self._batch_size:
            self._wake.set()

    async def durable(self, line: bytes) -> None:
        """Queue a line and wait until it is durable (many waiters share one write)."""
        if self._task is None or self._task.done():
            raise RuntimeError(f"the {self.name} is not running")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.submit(line)
        self._waiters.append(waiter)
        self._wake.set()
        # Not shielded (a future per call less): a call cancelled meanwhile cancels only its own
        # waiter; its line is queued already and written with the group, which skips done waiters.
        await waiter

    def health(self, max_lag_s: float) -> str | None:
        if self._task is None or self._task.done():
            return "stopped"
        lag = time.monotonic() - self._progress_at if self._lines else 0.0
        if lag > max_lag_s:
            return f"behind: {len(self._lines)} calls queued, none made durable for {lag:.0f} s"
        return None

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Write what is queued (retrying for up to ``timeout_s``), then stop."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        try:
            if task is not None and not task.done():
                try:
                    await asyncio.wait_for(asyncio.shield(task), timeout_s)
                except TimeoutError:
                    log.error("calls_unwritten_at_shutdown", pending=len(self._lines), handoff=self.name)
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            elif self._lines:  # the task is gone: write what is queued here
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._write_queued(), timeout_s)
        finally:
            await self._close()

    async def flush(self) -> None:
        """Write everything queued now (tests, shutdown); raises if the write fails."""
        self._wake.set()
        while self._lines or not self._idle.is_set():
            if self._task is None or self._task.done():
                await self._write_queued()
                return
            await asyncio.sleep(0.005)

    async def _run(self) -> None:
        backoff = 0.0
        while True:
            if not self._waiters and len(self._lines) < self._batch_size:
                if self._stopping and not self._lines:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                self._wake.clear()
            if not self._lines:
                continue
            try:
                await self._write_queued()
                backoff = 0.0
            except Exception as exc:  # the loop's boundary: the group stays queued, in order
                self.failures += 1
                backoff = min(max(backoff * 2, 0.05), _MAX_BACKOFF_S)
                metrics.WRITER_ERRORS.labels("calls", type(exc).__name__[:40]).inc()
                log.error("calls_write_failed", handoff=self.name, error=repr(exc)[:300], retry_in_s=backoff)
                await asyncio.sleep(backoff)

    async def _write_queued(self) -> None:
        lines = list(self._lines)
        waiters, self._waiters = self._waiters, []
        self._idle.clear()
        try:
            await self._write(lines)
        except BaseException:
            self._waiters[0:0] = waiters
            raise
        finally:
            self._idle.set()
        for _ in range(len(lines)):  # lines queued meanwhile stay
            self._lines.popleft()
        self.written += len(lines)
        self._progress_at = time.monotonic()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _write(self, lines: list[bytes]) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        return None


class SpoolHandoff(Handoff):
    """Groups to this process's file in the local spool, one ``fsync`` each."""

    name = "call-spool"

    def __init__(self, directory: Path, **options: float | int):
        super().__init__(**options)  # type: ignore[arg-type]
        self._writer = SpoolWriter(directory)

    async def _write(self, lines: list[bytes]) -> None:
        await asyncio.to_thread(self._writer.append, lines)

    async def _close(self) -> None:
        self._writer.close()


class StreamHandoff(Handoff):
    """Groups to the Redis stream (one pipelined ``XADD`` each); to the local spool while it fails."""

    name = "call-stream"

    def __init__(self, address: Address, spool_dir: Path, *, timeout_s: float, **options: float | int):
        super().__init__(**options)  # type: ignore[arg-type]
        self._client = RespClient(address, timeout_s)
        self._fallback = SpoolWriter(spool_dir)
        self._spool_dir = spool_dir
        self._forwarder: asyncio.Task[None] | None = None
        self.fell_back = 0

    async def start(self) -> None:
        await super().start()
        self._forwarder = asyncio.create_task(self._forward(), name="call-spool-forwarder")

    async def _write(self, lines: list[bytes]) -> None:
        try:
            await self._client.pipeline([["XADD", STREAM_KEY, "*", "c", line] for line in lines])
        except (OSError, TimeoutError, ConnectionError) as exc:  # Redis away: the disk holds them
            await asyncio.to_thread(self._fallback.append, lines)
            self.fell_back += len(lines)
            log.warning("calls_spooled_locally", calls=len(lines), error=type(exc).__name__)

    async def _forward(self) -> None:
        """Move lines spooled while Redis failed (by any process on this spool) to the stream."""
        tail = SpoolTail(self._spool_dir)
        try:
            while True:
                await asyncio.sleep(1.0)
                try:
                    if not await asyncio.to_thread(tail.acquire):
                        continue
                    while (chunk := await asyncio.to_thread(tail.read, _FORWARD_CHUNK)) is not None:
                        spooled, lines = chunk
                        await self._client.pipeline([["XADD", STREAM_KEY, "*", "c", line] for line in lines])
                        await asyncio.to_thread(tail.mark, spooled, lines)
                        log.info("calls_forwarded_to_stream", calls=len(lines))
                except (OSError, TimeoutError, ConnectionError) as exc:
                    log.warning("calls_forward_failed", error=type(exc).__name__)
        finally:
            await asyncio.to_thread(tail.close)

    async def _close(self) -> None:
        if self._forwarder is not None:
            self._forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._forwarder
        self._fallback.close()
        await self._client.close()
