"""``POST /v1/chat/completions``: OpenAI's chat API, to any provider type, plain or streamed.

With the guard on, the request is screened (blocked or redacted) before it is forwarded, the answer
is screened and its placeholders restored, and a stream passes through the hold-back window so no
forbidden text reaches the client before its verdict.
"""

from __future__ import annotations

from trueport.errors import UpstreamStreamBroken
from trueport.gateway.asgi import SSE_HEADERS
from trueport.gateway.call import Call
from trueport.gateway.gateway import Gateway
from trueport.gateway.guarding import CallGuard, ChunkPipeline
from trueport.gateway.router import Target
from trueport.gateway.streaming import DisconnectWatch, OpenedStream, open_stream, stream_broken_message
from trueport.gateway.validation import check_chat_request, require_stream_flag
from trueport.jsonutil import JSONObject, dumps
from trueport.providers.base import ChatCompletion

_DONE = b"data: [DONE]\n\n"


async def handle_chat(
    gateway: Gateway, call: Call, request: JSONObject, alias: str, targets: tuple[Target, ...]
) -> None:
    stream = require_stream_flag(request)
    check_chat_request(request)
    call.record.stream = stream
    guard = gateway.guard_for(call)
    if guard is not None:
        call.record.violations = guard.violations  # the same list: findings join it as they are made
        call.finishers.append(guard.finish_stream)  # stream findings, before the last bytes go
    try:
        upstream_request = await guard.screen_request(request) if guard is not None else request
        if stream:
            await _stream(gateway, call, upstream_request, alias, targets, guard)
        else:
            await _plain(gateway, call, upstream_request, alias, targets, guard)
    finally:
        if guard is not None:
            guard.finish_stream()
            call.record.violations = guard.violations


async def _plain(
    gateway: Gateway,
    call: Call,
    request: JSONObject,
    alias: str,
    targets: tuple[Target, ...],
    guard: CallGuard | None,
) -> None:
    async def attempt(target: Target) -> ChatCompletion:
        return await target.adapter.chat(request, target.model)

    target, completion = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    call.note_usage(completion.usage)
    screened = await guard.screen_completion(completion.body) if guard is not None else None
    if guard is not None:
        guard.tell(call.headers)
    if screened is not None:
        await call.respond_json(200, dumps(screened))
    else:
        await call.respond_json(200, completion.raw if completion.raw is not None else dumps(completion.body))


async def _stream(
    gateway: Gateway,
    call: Call,
    request: JSONObject,
    alias: str,
    targets: tuple[Target, ...],
    guard: CallGuard | None,
) -> None:
    options = request.get("stream_options") or {}
    client_wants_usage = bool(options.get("include_usage"))
    # Always ask for usage upstream: the record needs it whether or not the client does.
    upstream_request = dict(request, stream_options={**options, "include_usage": True})

    async def attempt(target: Target) -> OpenedStream[JSONObject]:
        return await open_stream(target.adapter.chat_stream(upstream_request, target.model))

    target, opened = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    pipeline = guard.chunk_pipeline() if guard is not None else None
    if guard is not None:
        guard.tell(call.headers)
    await call.start_stream(SSE_HEADERS)
    watch = DisconnectWatch(call.receive)
    try:
        chunk: JSONObject | None = opened.first
        while chunk is not None:
            if watch.gone:
                call.record.status_code = 499
                call.record.error_class = "ClientDisconnected"
                return
            if not await _send(call, [chunk], pipeline, client_wants_usage):
                return
            chunk = await anext(opened.chunks, None)
        if pipeline is not None:
            tail, cut = pipeline.finish()
            if cut:
                await _cut(call)
                return
            await _send(call, tail, None, client_wants_usage)
        call.note_usage(opened.stream.usage)  # before the last bytes: the audit event carries it
        await call.stream_bytes(_DONE, more=False)
    except UpstreamStreamBroken as exc:
        # Past the first byte there is no failover: end with an error event the SDKs raise on.
        call.record.error_class = exc.error_class
        message = stream_broken_message(call, exc)
        error = {"error": {"message": message, "type": "upstream_error", "code": "stream_broken"}}
        await call.stream_bytes(b"data: " + dumps(error) + b"\n\n", more=False)
    finally:
        call.note_usage(opened.stream.usage)
        await watch.close()
        await opened.stream.aclose()


async def _send(
    call: Call, chunks: list[JSONObject], pipeline: ChunkPipeline | None, client_wants_usage: bool
) -> bool:
    """Send chunks (through the guard pipeline if any); False if the stream was cut."""
    for chunk in chunks:
        released = [chunk]
        if pipeline is not None:
            released, cut = pipeline.feed(chunk)
            if cut:
                await _cut(call)
                return False
        for item in released:
            if client_wants_usage or _strip_usage(item):
                await call.stream_bytes(b"data: " + dumps(item) + b"\n\n")
    return True


async def _cut(call: Call) -> None:
    """The answer broke the output policy: end the stream before the offending text was sent."""
    call.record.error_class = "PolicyViolation"
    error = {
        "error": {
            "message": "the answer was stopped by the output policy",
            "type": "invalid_request_error",
            "code": "policy_violation",
        }
    }
    await call.stream_bytes(b"data: " + dumps(error) + b"\n\n", more=False)


def _strip_usage(chunk: JSONObject) -> bool:
    """Remove usage the client did not ask for; False if nothing is left worth sending."""
    if "usage" not in chunk:
        return True
    del chunk["usage"]
    return bool(chunk.get("choices"))
