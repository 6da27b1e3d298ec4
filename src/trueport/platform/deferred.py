"""The control plane, built after the gateway is ready rather than before.

Importing the API's modules and building its FastAPI app (a hundred routes, their pydantic models)
is about half of a serving process's start-up CPU, and a gateway answers ``/readyz`` and model calls
without it. ``TruePortApp`` starts the build in a worker thread once the lifespan has started
(``warm_up``); an ``/api/`` request that comes first builds it there and then (once: a lock).
"""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

from trueport.platform.context import Platform

if TYPE_CHECKING:
    from trueport.platform.api import ControlPlane


class DeferredControlPlane:
    def __init__(self, platform: Platform):
        self._platform = platform
        self._built: ControlPlane | None = None
        self._lock = threading.Lock()
        self._warming: asyncio.Future[ControlPlane] | None = None

    def build(self) -> ControlPlane:
        """The control plane's ASGI app, built by the first caller (any thread)."""
        with self._lock:
            if self._built is None:
                from trueport.platform.api import ControlPlane

                self._built = ControlPlane(self._platform)
                gc.freeze()  # long-lived, like what start-up built (TruePortApp.startup)
            return self._built

    def warm_up(self) -> None:
        """Build it in a worker thread, from now (call on the event loop)."""
        if self._warming is None and self._built is None:
            self._warming = asyncio.ensure_future(asyncio.to_thread(self.build))

    async def settled(self) -> None:
        """Until a warm-up started is over (before the process closes what the API uses)."""
        if self._warming is not None:
            await asyncio.gather(self._warming, return_exceptions=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._built or self.build()
        await app(scope, receive, send)
