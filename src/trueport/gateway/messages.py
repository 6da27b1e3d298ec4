"""``POST /v1/messages``: Anthropic's Messages API, to any provider type.

An Anthropic target gets the request as it came (native pass-through, bytes forwarded unchanged);
any other target gets it translated to the canonical format and its answer translated back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from trueport.errors import UpstreamStreamBroken
from trueport.formats.anthropic import (
    ChatChunksToMessagesEvents,
    chat_completion_to_message,
    translate_messages_request,
)
from trueport.gateway.asgi import SSE_HEADERS
from trueport.gateway.call import Call
from trueport.gateway.gateway import Gateway
from trueport.gateway.guarding import CallGuard, ChunkPipeline
from trueport.gateway.router import Target
from trueport.gateway.streaming import DisconnectWatch, OpenedStream, open_stream, stream_broken_message
from trueport.gateway.validation import require_stream_flag
from trueport.jsonutil import JSONObject, dumps
from trueport.providers.anthropic import NativeMessages
from trueport.providers.base import Usage

Event = tuple[str, bytes]  # (event name, data bytes), as sent to the client


def _sse(name: str, data: bytes) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


async def handle_messages(
    gateway: Gateway, call: Call, request: JSONObject, alias: str, targets: tuple[Target, ...]
) -> None:
    stream = require_stream_flag(request)
    # Validates, and is what non-Anthropic targets get; origins name the client's messages in errors.
    canonical, origins = translate_messages_request(request)
    call.record.stream = stream
    guard = gateway.guard_for(call)
    if guard is not None:
        call.record.violations = guard.violations  # the same list: findings join it as they are made
        call.finishers.append(guard.finish_stream)  # stream findings, before the last bytes go
    try:
        if guard is not None:
            # The guard reads and rewrites the canonical form, so guarded calls never pass through natively.
            canonical = await guard.screen_request(canonical, origins=origins)
        if stream:
            await _stream(gateway, call, request, canonical, alias, targets, guard)
        else:
            await _plain(gateway, call, request, canonical, alias, targets, guard)
    finally:
        if guard is not None:
            guard.finish_stream()
            call.record.violations = guard.violations


def _native(target: Target, guard: CallGuard | None) -> NativeMessages | None:
    """The adapter, when it takes this request as it came (Anthropic, Claude on Vertex AI) and no guard reads it."""
    if guard is not None:
        return None
    passes: Callable[[str], bool] | None = getattr(target.adapter, "passes_messages", None)
    return cast("NativeMessages", target.adapter) if passes is not None and passes(target.model) else None


async def _plain(
    gateway: Gateway,
    call: Call,
    request: JSONObject,
    canonical: JSONObject,
    alias: str,
    targets: tuple[Target, ...],
    guard: CallGuard | None,
) -> None:
    async def attempt(target: Target) -> tuple[bytes, Usage]:
        native = _native(target, guard)
        if native is not None:
            message = await native.messages(request, target.model)
            return message.raw, message.usage
        completion = await target.adapter.chat(dict(canonical, stream=False), target.model)
        body = completion.body
        if guard is not None:
            body = await guard.screen_completion(body) or body
        return dumps(chat_completion_to_message(body, alias)), completion.usage

    target, (body, usage) = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    call.note_usage(usage)
    if guard is not None:
        guard.tell(call.headers)
    await call.respond_json(200, body)


class _OutputCut(Exception):
    """The output policy stopped the answer."""


class _TranslatedEvents:
    """A canonical chunk stream seen as Anthropic events (for non-Anthropic or guarded targets)."""

    def __init__(self, chunks: OpenedStream[JSONObject], alias: str, pipeline: ChunkPipeline | None):
        self._opened = chunks
        self._translator = ChatChunksToMessagesEvents(alias)
        self._pipeline = pipeline
        self._done = False

    def note_usage(self, call: Call) -> None:
        call.note_usage(self._opened.stream.usage)

    def _translate(self, chunk: JSONObject) -> list[Event]:
        released = [chunk]
        if self._pipeline is not None:
            released, cut = self._pipeline.feed(chunk)
            if cut:
                raise _OutputCut
        return [(name, dumps(data)) for item in released for name, data in self._translator.feed(item)]

    def _finish(self) -> list[Event]:
        events: list[Event] = []
        if self._pipeline is not None:
            tail, cut = self._pipeline.finish()
            if cut:
                raise _OutputCut
            for item in tail:
                events.extend((name, dumps(data)) for name, data in self._translator.feed(item))
        events.extend((name, dumps(data)) for name, data in self._translator.finish(self.usage))
        return events

    @property
    def usage(self) -> Usage:
        return self._opened.stream.usage

    async def events(self) -> list[Event] | None:
        """The next batch of events, or None after the last."""
        if self._done:
            return None
        chunk = await anext(self._opened.chunks, None)
        if chunk is None:
            self._done = True
            return self._finish()
        return self._translate(chunk)

    def first(self) -> list[Event]:
        return self._translate(self._opened.first)

    async def aclose(self) -> None:
        await self._opened.stream.aclose()


async def _stream(
    gateway: Gateway,
    call: Call,
    request: JSONObject,
    canonical: JSONObject,
    alias: str,
    targets: tuple[Target, ...],
    guard: CallGuard | None,
) -> None:
    upstream_canonical = dict(canonical, stream=True, stream_options={"include_usage": True})

    async def attempt(
        target: Target,
    ) -> OpenedStream[JSONObject] | OpenedStream[tuple[str, bytes, JSONObject]]:
        native = _native(target, guard)
        if native is not None:
            return await open_stream(native.messages_stream(request, target.model))
        return await open_stream(target.adapter.chat_stream(upstream_canonical, target.model))

    target, opened = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    pipeline = guard.chunk_pipeline() if guard is not None else None
    if guard is not None:
        guard.tell(call.headers)
    await call.start_stream(SSE_HEADERS)
    watch = DisconnectWatch(call.receive)
    try:
        if _native(target, guard) is not None:
            await _pump_native(call, watch, opened)  # type: ignore[arg-type]
        else:
            events = _TranslatedEvents(opened, alias, pipeline)  # type: ignore[arg-type]
            await _pump_translated(call, watch, events)
    except _OutputCut:
        call.record.error_class = "PolicyViolation"
        error = {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "the answer was stopped by the output policy",
            },
        }
        await call.stream_bytes(_sse("error", dumps(error)), more=False)
    except UpstreamStreamBroken as exc:
        call.record.error_class = exc.error_class
        error = {"type": "error", "error": {"type": "api_error", "message": stream_broken_message(call, exc)}}
        await call.stream_bytes(_sse("error", dumps(error)), more=False)
    finally:
        call.note_usage(opened.stream.usage)
        await watch.close()
        await opened.stream.aclose()


async def _pump_native(
    call: Call, watch: DisconnectWatch, opened: OpenedStream[tuple[str, bytes, JSONObject]]
) -> None:
    item: tuple[str, bytes, JSONObject] | None = opened.first
    while item is not None:
        if watch.gone:
            _client_gone(call)
            return
        name, raw, _data = item
        await call.stream_bytes(_sse(name, raw))
        item = await anext(opened.chunks, None)
    call.note_usage(opened.stream.usage)  # before the last bytes: the audit event carries it
    await call.stream_bytes(b"", more=False)


async def _pump_translated(call: Call, watch: DisconnectWatch, events: _TranslatedEvents) -> None:
    batch: list[Event] | None = events.first()
    while batch is not None:
        if watch.gone:
            _client_gone(call)
            return
        if batch:
            await call.stream_bytes(b"".join(_sse(name, data) for name, data in batch))
        batch = await events.events()
    events.note_usage(call)  # before the last bytes: the audit event carries it
    await call.stream_bytes(b"", more=False)


def _client_gone(call: Call) -> None:
    call.record.status_code = 499
    call.record.error_class = "ClientDisconnected"
