"""A running gateway in a thread of its own, for tests that drive it from synchronous code (Hypothesis).

The gateway, its database and the tenant's key live in the thread's event loop; the test talks to
``url`` over HTTP and may run coroutines on the gateway's loop with ``call`` (e.g. to flush records).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, Self, TypeVar

import uvicorn
from tests.gateway.harness import RunningGateway, start_gateway

from trueport.app import TruePortApp
from trueport.db.migrate import upgrade_to_head
from trueport.db.session import database
from trueport.keys.secret import key_hmac_secret
from trueport.keys.service import create_key
from trueport.settings import Settings, async_database_url
from trueport.tenants.service import create_tenant

T = TypeVar("T")


class ThreadedGateway:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="gateway", daemon=True)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop_database: Callable[[], Awaitable[Any]] | None = None
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
        settings = self._settings
        await asyncio.to_thread(upgrade_to_head, async_database_url(settings.database))
        context = database(settings)
        sessions = await context.__aenter__()
        self._stop_database = lambda: context.__aexit__(None, None, None)
        async with sessions() as session:
            tenant = await create_tenant(session, "acme")
            await session.commit()
        secret = await key_hmac_secret(settings, sessions)
        async with sessions() as session:
            created = await create_key(session, tenant, hmac_secret=secret, name="fuzz")
            await session.commit()
        self._server, self._task, url = await start_gateway(settings)
        app = self._server.config.app
        assert isinstance(app, TruePortApp)
        return RunningGateway(url, created.secret, settings, app, sessions, tenant.id)

    async def _stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        if self._stop_database is not None:
            await self._stop_database()

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
