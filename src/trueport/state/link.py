"""The health of the Redis connection, as every part of the state sees it, and the clock it gives.

``Link.run`` runs one Redis operation (which the client bounds by ``timeout_s``: see ``resp``). The
first failure (connection refused or reset, no reply in time, a Redis error reply) marks the link
*degraded*: that operation and every one after it raise ``Unavailable`` at once, and the caller
serves them locally, until a background probe, every ``probe_interval_s``, gets an answer again.
A failing probe marks it degraded too (an idle process notices an outage). So an outage costs one
timeout per process, not one per request, and the state is shared again at most one probe interval
after Redis is back. Each transition is logged once.

The probe also reads Redis ``TIME``, which ``now()`` then advances with the local monotonic clock:
every replica reads (to within half a round trip) the same clock without a round trip per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

import structlog

from trueport.state.resp import ReplyError, RespClient

log = structlog.get_logger(__name__)

T = TypeVar("T")

PROBE_KEY = "state:probe"
FAILURES = (OSError, TimeoutError, ReplyError)  # ConnectionError is an OSError


class Unavailable(Exception):
    """Redis cannot serve this operation now: serve it locally."""


class SharedClock:
    """Redis ``TIME`` as of the last sample, advanced by ``time.monotonic``; wall time before any sample."""

    def __init__(self) -> None:
        self._offset: float | None = None

    def now(self) -> float:
        if self._offset is None:
            return time.time()
        return time.monotonic() + self._offset

    def sample(self, server_time: float, sent: float, received: float) -> None:
        """One reading of the server's clock, taken between ``sent`` and ``received`` (monotonic)."""
        self._offset = server_time - (sent + received) / 2


class Link:
    def __init__(self, client: RespClient, timeout_s: float, probe_interval_s: float):
        self.client = client
        self.timeout_s = timeout_s
        self.probe_interval_s = probe_interval_s
        self.clock = SharedClock()
        self.degraded = False
        self.fallbacks = 0
        self._degraded_at = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Probe once (an unreachable Redis starts the process degraded, not failed), then keep probing."""
        await self.probe()
        self._task = asyncio.create_task(self._probe_forever(), name="state-redis-probe")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        """``operation()`` against Redis, or ``Unavailable`` (counted as one fallback).

        The client bounds each call (connecting, and each reply: see ``resp``), so no timeout here.
        """
        if not self.degraded:
            try:
                return await operation()
            except FAILURES as exc:
                self._mark_degraded(_describe(exc))
        self.fallbacks += 1
        raise Unavailable

    async def probe(self) -> bool:
        """Can Redis read and write now? Updates the clock, and marks the link degraded or recovered."""
        try:
            sent = time.monotonic()
            replies = await self.client.pipeline([["TIME"], ["SET", PROBE_KEY, "1", "PX", 10_000]])
            received = time.monotonic()
            seconds, micros = cast("list[bytes]", replies[0])
        except FAILURES as exc:
            self._mark_degraded(_describe(exc))
            return False
        self.clock.sample(int(seconds) + int(micros) / 1e6, sent, received)
        if self.degraded:
            self.degraded = False
            log.info("state_redis_recovered", degraded_s=round(time.monotonic() - self._degraded_at, 3))
        return True

    def _mark_degraded(self, reason: str) -> None:
        if self.degraded:
            return
        self.degraded = True
        self._degraded_at = time.monotonic()
        log.warning("state_redis_unreachable", error=reason, fallback="local state and local limits")

    async def _probe_forever(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval_s)
            await self.probe()


def _describe(exc: BaseException) -> str:
    text = str(exc)[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
