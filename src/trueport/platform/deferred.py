"""The control plane, built by its first request rather than at start-up.

Importing the API's modules and building its FastAPI app (a hundred routes, their pydantic models)
is about half of a serving process's start-up CPU, and a gateway answers ``/readyz`` and model calls
without it: a replica that only proxies never pays for it, and the first ``/api/`` request of a
process waits for it once (under a second). Not warmed up in the background: on the one core a
serving process and its recorder share, that would delay the recorder's start and compete with the
first calls.
"""

from __future__ import annotations

import gc
import threading
from typing import TYPE_CHECKING

from trueport.gateway.asgi import Receive, Scope, Send
from trueport.platform.core import Platform

if TYPE_CHECKING:
    from trueport.platform.api import ControlPlane


class DeferredControlPlane:
    def __init__(self, platform: Platform):
        self._platform = platform
        self._built: ControlPlane | None = None
        self._lock = threading.Lock()

    def build(self) -> ControlPlane:
        """The control plane's ASGI app, built by the first caller (any thread)."""
        with self._lock:
            if self._built is None:
                from trueport.platform.api import ControlPlane

                self._built = ControlPlane(self._platform)
                gc.freeze()  # long-lived, like what start-up built (TruePortApp.startup)
            return self._built

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._built or self.build()
        await app(scope, receive, send)
