"""One request/answer round trip, shared by every wire format: errors, faults, JSON and SSE bodies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from aiohttp import web

from trueport.jsonutil import JSONObject, dumps
from trueport.mockprovider.faults import DirectiveError, Faults, parse_faults
from trueport.mockprovider.state import MockState


class MockError(Exception):
    """An error answer; the route's dialect renders it in its provider's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = dict(headers or {})


class Dialect(Protocol):
    """How one provider names its credential and shapes its errors."""

    name: ClassVar[str]
    credential_hint: ClassVar[str]
    request_id_header: ClassVar[str]

    def credential(self, request: web.Request) -> str | None: ...

    def error_body(self, error: MockError) -> JSONObject: ...


@dataclass(slots=True)
class Exchange:
    request: web.Request
    state: MockState
    dialect: Dialect
    parsed: Any
    """The body as parsed JSON; ``None`` when it was empty or not JSON."""

    def body(self) -> JSONObject:
        if not isinstance(self.parsed, dict):
            raise MockError(400, "the request body must be a JSON object")
        return self.parsed

    def next_id(self, prefix: str) -> str:
        return self.state.next_id(prefix)

    def response_headers(self) -> dict[str, str]:
        """Headers for the answer: a fresh request id under the provider's header name."""
        return {self.dialect.request_id_header: self.next_id("req_")}

    async def apply_faults(self, model: str) -> Faults:
        """Apply the model's directives that come before the answer; raise ``MockError`` for errors."""
        try:
            faults = parse_faults(model)
        except DirectiveError as exc:
            raise MockError(400, str(exc), param="model") from None
        if faults.delay_ms:
            await asyncio.sleep(faults.delay_ms / 1000)
        if faults.hang:
            await self.state.closing.wait()
            raise ConnectionDropped
        if faults.status is not None:
            headers = {"retry-after": "1"} if faults.status == 429 else {}
            raise MockError(faults.status, f"mock fault: status {faults.status}", headers=headers)
        if faults.flaky is not None and self.state.flaky_fails(model, faults.flaky):
            raise MockError(503, f"mock fault: flaky model {model!r} failed this time")
        return faults


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class ConnectionDropped(Exception):
    """The answer ends by closing the connection; there is nothing left to send."""


def drop_connection(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


def json_response(ex: Exchange, payload: JSONObject | list[JSONObject]) -> web.Response:
    return web.Response(body=dumps(payload), content_type="application/json", headers=ex.response_headers())


async def send_json(
    ex: Exchange, payload: JSONObject | list[JSONObject], faults: Faults
) -> web.StreamResponse:
    """A JSON answer; with a ``cut`` fault, half the body and then a closed connection."""
    if faults.cut is None:
        return json_response(ex, payload)
    body = dumps(payload)
    response = web.StreamResponse(headers={"Content-Type": "application/json", **ex.response_headers()})
    response.content_length = len(body)
    await response.prepare(ex.request)
    await response.write(body[: len(body) // 2])
    raise ConnectionDropped


async def send_stream(
    ex: Exchange,
    faults: Faults,
    *,
    lead: Sequence[bytes],
    content: Sequence[bytes],
    tail: Sequence[bytes],
    content_type: str = "text/event-stream; charset=utf-8",
) -> web.StreamResponse:
    """An SSE answer: ``lead`` events, ``content`` chunks (spaced by ``slowstream``), ``tail`` events.

    With a ``cut`` fault only the first ``cut`` content chunks are sent, then the connection is
    closed before any ``tail`` event.
    """
    response = web.StreamResponse(
        headers={"Content-Type": content_type, "Cache-Control": "no-cache", **ex.response_headers()}
    )
    await response.prepare(ex.request)
    if lead:
        await response.write(b"".join(lead))
    pause = faults.slowstream_ms / 1000
    for index, chunk in enumerate(content):
        if faults.cut is not None and index >= faults.cut:
            raise ConnectionDropped
        if pause and index:
            await asyncio.sleep(pause)
        await response.write(chunk)
    if faults.cut is not None:
        raise ConnectionDropped
    if tail:
        await response.write(b"".join(tail))
    await response.write_eof()
    return response


Endpoint = Callable[[Exchange], Awaitable[web.StreamResponse]]


def sse_data(payload: JSONObject, *, event: str | None = None, end: bytes = b"\n\n") -> bytes:
    """One server-sent event carrying ``payload`` as JSON."""
    prefix = b"event: " + event.encode() + b"\n" if event else b""
    return prefix + b"data: " + dumps(payload) + end
