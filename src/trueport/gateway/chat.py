"""``POST /v1/chat/completions``: OpenAI's chat API, to any provider type, plain or streamed."""

from __future__ import annotations

from trueport.errors import UpstreamStreamBroken
from trueport.gateway.asgi import SSE_HEADERS
from trueport.gateway.call import Call
from trueport.gateway.gateway import Gateway
from trueport.gateway.router import Target
from trueport.gateway.streaming import DisconnectWatch, OpenedStream, open_stream
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
    if stream:
        await _stream(gateway, call, request, alias, targets)
        return

    async def attempt(target: Target) -> ChatCompletion:
        return await target.adapter.chat(request, target.model)

    target, completion = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    call.note_usage(completion.usage)
    await call.respond_json(200, completion.raw if completion.raw is not None else dumps(completion.body))


async def _stream(
    gateway: Gateway, call: Call, request: JSONObject, alias: str, targets: tuple[Target, ...]
) -> None:
    options = request.get("stream_options") or {}
    client_wants_usage = bool(options.get("include_usage"))
    # Always ask for usage upstream: the record needs it whether or not the client does.
    upstream_request = dict(request, stream_options={**options, "include_usage": True})

    async def attempt(target: Target) -> OpenedStream[JSONObject]:
        return await open_stream(target.adapter.chat_stream(upstream_request, target.model))

    target, opened = await gateway.forward(call, alias, targets, attempt)
    call.note_target(target.provider, target.model)
    await call.start_stream(SSE_HEADERS)
    watch = DisconnectWatch(call.receive)
    try:
        chunk: JSONObject | None = opened.first
        while chunk is not None:
            if watch.gone:
                call.record.status_code = 499
                call.record.error_class = "ClientDisconnected"
                return
            if client_wants_usage or _strip_usage(chunk):
                await call.stream_bytes(b"data: " + dumps(chunk) + b"\n\n")
            chunk = await anext(opened.chunks, None)
        await call.stream_bytes(_DONE, more=False)
    except UpstreamStreamBroken as exc:
        # Past the first byte there is no failover: end with an error event the SDKs raise on.
        call.record.error_class = exc.error_class
        error = {"error": {"message": exc.message, "type": "upstream_error", "code": "stream_broken"}}
        await call.stream_bytes(b"data: " + dumps(error) + b"\n\n", more=False)
    finally:
        call.note_usage(opened.stream.usage)
        await watch.close()
        await opened.stream.aclose()


def _strip_usage(chunk: JSONObject) -> bool:
    """Remove usage the client did not ask for; False if nothing is left worth sending."""
    if "usage" not in chunk:
        return True
    del chunk["usage"]
    return bool(chunk.get("choices"))
