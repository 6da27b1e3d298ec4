"""How a route suite reaches the gateway: the real data-plane path, never a re-implementation of it.

- ``InProcessGateway``: the serving process's own ASGI app, called in-process with an HTTP scope, as
  uvicorn would call it (``TruePortApp.__call__`` → the data plane's front door: authentication,
  limits, budget, guard, routing, provider call, request record and audit event). Used by the eval
  scheduler and by on-demand runs in every serving process.
- ``HttpGateway``: a running TruePort's ``/v1/...`` over HTTP (``trueport eval-worker --gateway-url``),
  for a worker that serves nothing itself.

Either way the call carries the suite's eval key (``Authorization: Bearer``): the gateway cannot tell
it from an application's call, which is the point.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from trueport.usage.pricing import TenantPrices

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

USER_AGENT = b"trueport-eval"


@dataclass(frozen=True, slots=True)
class GatewayAnswer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    latency_ms: float  # from sending the request to the answer's last byte


class GatewayCaller(Protocol):
    async def post(self, path: str, body: bytes, secret: str) -> GatewayAnswer: ...


@dataclass(frozen=True, slots=True)
class EvalGateway:
    """What a route run needs: a way to the gateway, the prices the gateway bills with (each case's
    cost), and the HMAC secret of virtual keys (the suite's eval key)."""

    caller: GatewayCaller
    prices: TenantPrices
    key_secret: bytes


class InProcessGateway:
    def __init__(self, app: ASGIApp, *, timeout_s: float = 120.0):
        self._app = app
        self._timeout_s = timeout_s

    async def post(self, path: str, body: bytes, secret: str) -> GatewayAnswer:
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"trueport.eval"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"authorization", b"Bearer " + secret.encode()),
                (b"user-agent", USER_AGENT),
            ],
            "client": ("127.0.0.1", 0),
            "server": ("trueport.eval", 80),
        }
        done = asyncio.Event()
        sent_body = False
        status = 0
        headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()  # the client stays connected until the answer is complete
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", ()):
                    headers[bytes(name).decode("latin-1").lower()] = bytes(value).decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    done.set()

        started = time.perf_counter()

        # A task of its own: the call's context (the request id, tenant and key bound for its logs)
        # stays the call's, as it would in a server, instead of leaking into the runner's.
        async def serve() -> None:
            await self._app(scope, receive, send)

        call = asyncio.create_task(serve(), name="eval-gateway-call")
        try:
            async with asyncio.timeout(self._timeout_s):
                await asyncio.shield(call)
        finally:
            done.set()
            if not call.done():
                call.cancel()
        return GatewayAnswer(status, headers, b"".join(chunks), (time.perf_counter() - started) * 1000)


class HttpGateway:
    def __init__(self, base_url: str, http: aiohttp.ClientSession, *, timeout_s: float = 120.0):
        self._base_url = base_url.rstrip("/")
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def post(self, path: str, body: bytes, secret: str) -> GatewayAnswer:
        headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {secret}",
            "user-agent": USER_AGENT.decode(),
        }
        started = time.perf_counter()
        async with self._http.post(
            self._base_url + path, data=body, headers=headers, timeout=self._timeout
        ) as response:
            content = await response.read()
            answered = {name.lower(): value for name, value in response.headers.items()}
            return GatewayAnswer(response.status, answered, content, (time.perf_counter() - started) * 1000)
