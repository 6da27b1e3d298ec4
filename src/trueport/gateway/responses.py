"""``POST /v1/responses``: OpenAI's Responses API, to any provider type, plain or streamed.

An OpenAI target gets the request as it came (native pass-through: its bytes and typed events go back
unchanged, ``previous_response_id`` and built-in tools work). Any other target gets it translated to
the canonical chat format (``trueport.formats.responses``) and its answer translated back, when chat
can express the request; a request only OpenAI can serve is routed to the alias's OpenAI targets, and
refused with a 400 naming the field when it has none.

With the guard on, the request's texts are screened in place (``trueport.gateway.responses_guard``:
read through a chat-shaped view, redactions written back at their own paths), then sent as above;
a native answer is screened the same way. A stream whose answer the policy screens (or must restore
redacted text in) goes through the canonical form even to OpenAI targets, since the chunk pipeline's
hold-back window works on chat chunks; a request chat cannot express is then refused (send it with
``stream: false``).

A native answer's response id is remembered with its tenant and provider (``state.kv``, for
``RESPONSE_TTL_S``), so ``previous_response_id`` continues only the caller's own tenant's responses,
at the provider account that stored them.
"""

from __future__ import annotations

from trueport.errors import InvalidRequest, UpstreamStreamBroken
from trueport.formats.responses import (
    Untranslatable,
    chat_completion_to_response,
    check_responses_request,
    responses_request_to_chat,
)
from trueport.formats.responses_stream import ChatChunksToResponsesEvents, Event
from trueport.gateway.asgi import SSE_HEADERS
from trueport.gateway.call import Call
from trueport.gateway.gateway import Gateway
from trueport.gateway.guarding import CallGuard, ChunkPipeline
from trueport.gateway.responses_guard import screen_native_request, screen_native_response
from trueport.gateway.router import Target
from trueport.gateway.streaming import DisconnectWatch, OpenedStream, open_stream, stream_broken_message
from trueport.gateway.validation import require_stream_flag
from trueport.guard.base import Direction
from trueport.jsonutil import JSONObject, dumps
from trueport.providers.base import Usage
from trueport.providers.openai import OpenAIAdapter
from trueport.providers.openai_responses import ResponsesEventStream, StreamItem

RESPONSE_TTL_S = 30 * 24 * 3600.0  # OpenAI keeps a stored response for 30 days
_OWNER_PREFIX = "responses:owner:"


def _sse(name: str, data: bytes) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


def _native(target: Target) -> OpenAIAdapter | None:
    adapter = target.adapter
    return adapter if isinstance(adapter, OpenAIAdapter) and adapter.kind == "openai" else None


async def handle_responses(
    gateway: Gateway, call: Call, request: JSONObject, alias: str, targets: tuple[Target, ...]
) -> None:
    stream = require_stream_flag(request)
    check_responses_request(request)
    call.record.stream = stream
    canonical: JSONObject | None
    try:
        canonical = responses_request_to_chat(request)
    except Untranslatable as refusal:
        canonical = None
        targets = await _native_targets(gateway, call, request, targets, refusal)
    guard = gateway.guard_for(call)
    if guard is not None and not (
        guard.engine.active(Direction.INPUT) or guard.engine.active(Direction.OUTPUT)
    ):
        guard = None  # this tenant's policy screens nothing: nothing needs the canonical form
    if guard is not None:
        call.record.violations = guard.violations  # the same list: findings join it as they are made
        call.finishers.append(guard.finish_stream)  # stream findings, before the last bytes go
    try:
        if guard is not None:
            # One screening for every target: the texts are read and written back in place, and a
            # translatable request is translated again from the screened one.
            request = await screen_native_request(guard, request)
            if canonical is not None:
                canonical = responses_request_to_chat(request)
        # The native events carry the answer's text in several places the hold-back window cannot rewrite.
        screens_stream = guard is not None and (
            guard.engine.active(Direction.OUTPUT) or guard.redactions.restorable
        )
        native_ok = not (stream and screens_stream)
        if not native_ok and canonical is None:
            raise InvalidRequest(
                "this request needs OpenAI's own Responses API, and the guard screens its answer: "
                "send it with stream=false, or only what chat completions can express",
                param="stream",
            )
        if stream:
            await _stream(gateway, call, request, canonical, alias, targets, guard, native_ok)
        else:
            await _plain(gateway, call, request, canonical, alias, targets, guard, native_ok)
    finally:
        if guard is not None:
            guard.finish_stream()
            call.record.violations = guard.violations


async def _native_targets(
    gateway: Gateway, call: Call, request: JSONObject, targets: tuple[Target, ...], refusal: Untranslatable
) -> tuple[Target, ...]:
    """The targets that can serve a request only OpenAI's Responses API can (``refusal`` if none)."""
    native = tuple(target for target in targets if _native(target) is not None)
    if not native:
        raise refusal
    previous = request.get("previous_response_id")
    if not isinstance(previous, str):
        return native
    owner = await gateway.state.kv.get(_OWNER_PREFIX + previous)
    tenant, _, provider = (owner or b"").decode().partition("\n")
    if tenant != call.key_info.tenant_id:  # unknown, expired, or another tenant's: never say which
        raise InvalidRequest(f"previous response {previous!r} was not found", param="previous_response_id")
    pinned = tuple(target for target in native if target.provider == provider)
    if not pinned:
        raise InvalidRequest(
            f"previous response {previous!r} is stored at a provider this model does not route to",
            param="previous_response_id",
        )
    return pinned


async def _remember(gateway: Gateway, call: Call, target: Target, response_id: str | None) -> None:
    if response_id:
        owner = f"{call.key_info.tenant_id}\n{target.provider}".encode()
        await gateway.state.kv.set(_OWNER_PREFIX + response_id, owner, RESPONSE_TTL_S)


async def _plain(
    gateway: Gateway,
    call: Call,
    request: JSONObject,
    canonical: JSONObject | None,
    alias: str,
    targets: tuple[Target, ...],
    guard: CallGuard | None,
    native_ok: bool,
) -> None:
    async def attempt(target: Target) -> tuple[bytes, Usage, str | None]:
        native = _native(target) if native_ok else None
        if native is not None:
            answer = await native.responses(request, target.model)
            screened = await screen_native_response(guard, answer.body) if guard is not None else None
            raw = answer.raw if screened is None else dumps(screened)
            return raw, answer.usage, answer.body["id"]
        if canonical is None:
            raise InvalidRequest("this request needs an OpenAI target", param="model")
        completion = await target.adapter.chat(dict(canonical, stream=False), target.model)
        body = completion.body
        if guard is not None:
            body = await guard.screen_completion(body) or body
        return (
            dumps(chat_completion_to_response(body, request, alias, completion.usage)),
            completion.usage,
            None,
        )

    target, (body, usage, response_id) = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    call.note_usage(usage)
    await _remember(gateway, call, target, response_id)
    if guard is not None:
        guard.tell(call.headers)
    await call.respond_json(200, body)


class _OutputCut(Exception):
    """The output policy stopped the answer."""


class _TranslatedEvents:
    """A canonical chunk stream seen as Responses events (for non-OpenAI or guarded targets)."""

    def __init__(
        self,
        opened: OpenedStream[JSONObject],
        request: JSONObject,
        alias: str,
        pipeline: ChunkPipeline | None,
    ):
        self._opened = opened
        self.translator = ChatChunksToResponsesEvents(request, alias)
        self._pipeline = pipeline
        self._done = False

    def _translate(self, chunk: JSONObject) -> list[Event]:
        released = [chunk]
        if self._pipeline is not None:
            released, cut = self._pipeline.feed(chunk)
            if cut:
                raise _OutputCut
        return [event for item in released for event in self.translator.feed(item)]

    def _finish(self) -> list[Event]:
        events: list[Event] = []
        if self._pipeline is not None:
            tail, cut = self._pipeline.finish()
            if cut:
                raise _OutputCut
            for item in tail:
                events.extend(self.translator.feed(item))
        events.extend(self.translator.finish(self._opened.stream.usage))
        return events

    @property
    def usage(self) -> Usage:
        return self._opened.stream.usage

    def first(self) -> list[Event]:
        return self._translate(self._opened.first)

    async def events(self) -> list[Event] | None:
        """The next batch of events, or None after the last."""
        if self._done:
            return None
        chunk = await anext(self._opened.chunks, None)
        if chunk is None:
            self._done = True
            return self._finish()
        return self._translate(chunk)


async def _stream(
    gateway: Gateway,
    call: Call,
    request: JSONObject,
    canonical: JSONObject | None,
    alias: str,
    targets: tuple[Target, ...],
    guard: CallGuard | None,
    native_ok: bool,
) -> None:
    upstream = dict(canonical, stream=True, stream_options={"include_usage": True}) if canonical else None

    async def attempt(target: Target) -> OpenedStream[JSONObject] | OpenedStream[StreamItem]:
        native = _native(target) if native_ok else None
        if native is not None:
            return await open_stream(native.responses_stream(request, target.model))
        if upstream is None:
            raise InvalidRequest("this request needs an OpenAI target", param="model")
        return await open_stream(target.adapter.chat_stream(upstream, target.model))

    target, opened = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    is_native = native_ok and _native(target) is not None
    pipeline = guard.chunk_pipeline() if guard is not None else None
    if guard is not None:
        guard.tell(call.headers)
    await call.start_stream(SSE_HEADERS)
    watch = DisconnectWatch(call.receive)
    translated = None if is_native else _TranslatedEvents(opened, request, alias, pipeline)  # type: ignore[arg-type]
    try:
        if translated is None:
            await _pump_native(gateway, call, target, watch, opened)  # type: ignore[arg-type]
        else:
            await _pump_translated(call, watch, translated)
    except _OutputCut:
        call.record.error_class = "PolicyViolation"
        await call.stream_bytes(
            _error_event(translated, "the answer was stopped by the output policy", "policy_violation"),
            more=False,
        )
    except UpstreamStreamBroken as exc:
        call.record.error_class = exc.error_class
        await call.stream_bytes(
            _error_event(translated, stream_broken_message(call, exc), "stream_broken"), more=False
        )
    finally:
        call.note_usage(opened.stream.usage)
        await watch.close()
        await opened.stream.aclose()


def _error_event(translated: _TranslatedEvents | None, message: str, code: str) -> bytes:
    if translated is not None:
        name, data = translated.translator.error(message, code)
    else:
        error = {"message": message, "type": "upstream_error", "code": code, "param": None}
        name, data = (
            "error",
            {"type": "error", "code": code, "message": message, "param": None, "error": error},
        )
    return _sse(name, dumps(data))


async def _pump_native(
    gateway: Gateway, call: Call, target: Target, watch: DisconnectWatch, opened: OpenedStream[StreamItem]
) -> None:
    item: StreamItem | None = opened.first
    remembered = False
    while item is not None:
        if watch.gone:
            _client_gone(call)
            return
        name, raw, _data = item
        await call.stream_bytes(_sse(name, raw))
        stream = opened.stream
        if not remembered and isinstance(stream, ResponsesEventStream) and stream.response_id:
            remembered = True
            await _remember(gateway, call, target, stream.response_id)
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
            await call.stream_bytes(b"".join(_sse(name, dumps(data)) for name, data in batch))
        batch = await events.events()
    call.note_usage(events.usage)  # before the last bytes: the audit event carries it
    await call.stream_bytes(b"", more=False)


def _client_gone(call: Call) -> None:
    call.record.status_code = 499
    call.record.error_class = "ClientDisconnected"
