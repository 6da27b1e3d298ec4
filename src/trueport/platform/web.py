"""Pure ASGI middleware of the control plane: security headers and the request size limit.

CORS is Starlette's ``CORSMiddleware`` with ``platform.cors_allow_origin_regex`` (no origin is allowed
when it is unset); see ``trueport.platform.api``.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException

from trueport.errors import ApiTooLarge
from trueport.gateway.asgi import Message, Receive, Scope, Send
from trueport.jsonutil import dumps

_SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
SECURITY_HEADER_NAMES = frozenset(name for name, _ in _SECURITY_HEADERS)


def with_security_headers(send: Send) -> Send:
    """``send``, adding the security headers to the response start (replacing any already set)."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (k, v) for k, v in message.get("headers", []) if k.lower() not in SECURITY_HEADER_NAMES
            ]
            message["headers"] = headers + _SECURITY_HEADERS
        await send(message)

    return send_with_headers


class SecurityHeaders:
    """Adds the security headers to every response (replacing any the app set)."""

    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, with_security_headers(send))  # type: ignore[operator]


class BodyLimit:
    """Refuses bodies over ``limit`` bytes with 413, by ``Content-Length`` or while reading."""

    def __init__(self, app: object, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send, self.limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)  # type: ignore[operator]
        except _BodyTooLarge:
            if not started:
                await _too_large(send, self.limit)


class _BodyTooLarge(HTTPException):
    """Raised by ``receive`` once a body without ``Content-Length`` passes the limit.

    An ``HTTPException`` because FastAPI turns any other exception met while reading a body into
    400 "There was an error parsing the body"; this one it re-raises, and ``api_errors`` renders it
    as 413 ``request_too_large``. Raised outside FastAPI, ``BodyLimit`` answers the 413 itself.
    """

    def __init__(self, limit: int):
        super().__init__(ApiTooLarge.status, _too_large_message(limit))


def _too_large_message(limit: int) -> str:
    return f"request body over {limit} bytes"


async def _too_large(send: Send, limit: int) -> None:
    error = ApiTooLarge(_too_large_message(limit))
    body = dumps({"error": {"code": error.code, "message": error.message}})
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
