"""A running gateway in a thread of its own, for tests that drive it from synchronous code (Hypothesis).

The gateway, its database and the tenant's key live in the thread's event loop; the test talks to
``url`` over HTTP and may run coroutines on the gateway's loop with ``call`` (e.g. to flush records).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager
from typing import Self, TypeVar

from tests.gateway.harness import RunningGateway, running_gateway

from trueport.settings import Settings

T = TypeVar("T")


class ThreadedGateway:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="gateway", daemon=True)
        self._running: AbstractAsyncContextManager[RunningGateway] | None = None
        self.gateway: RunningGateway | None = None

    @property
    def running(self) -> RunningGateway:
        assert self.gateway is not None, "the gateway is not started"
        return self.gateway

    def call(self, coroutine: Awaitable[T], timeout_s: float = 60) -> T:
        """Runs ``coroutine`` on the gateway's loop and returns its result."""

        async def run() -> T:
            return await coroutine

        future: Future[T] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(timeout_s)

    async def _start(self) -> RunningGateway:
        self._running = running_gateway(self._settings)
        return await self._running.__aenter__()

    async def _stop(self) -> None:
        if self._running is not None:
            await self._running.__aexit__(None, None, None)

    def __enter__(self) -> Self:
        self._thread.start()
        self.gateway = self.call(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call(self._stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
