"""The data plane's front door: route by path, authenticate, parse, run the handler, record.

Every call, answered or refused, leaves exactly one request record.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

import structlog

from trueport import tracing
from trueport.errors import GatewayError, InvalidRequest, MethodNotAllowed, RouteNotFound
from trueport.gateway.asgi import (
    JSON_HEADERS,
    SECURITY_HEADERS,
    Receive,
    Scope,
    Send,
    header,
    read_body,
    send_body,
)
from trueport.gateway.auth import authenticate
from trueport.gateway.cache import cache_key, run_cached
from trueport.gateway.call import Call
from trueport.gateway.chat import handle_chat
from trueport.gateway.embeddings import handle_embeddings
from trueport.gateway.error_shapes import Dialect, render_error
from trueport.gateway.gateway import Gateway
from trueport.gateway.idempotency import body_fingerprint, run_idempotent
from trueport.gateway.messages import handle_messages
from trueport.gateway.models import handle_get_model, handle_list_models
from trueport.gateway.responses import handle_responses
from trueport.gateway.router import Target
from trueport.gateway.scan import handle_scan
from trueport.gateway.validation import require_model
from trueport.jsonutil import JSONDecodeError, JSONObject, loads
from trueport.usage.records import RequestRecordData
from trueport.usage.upstream import estimated_usage

log = structlog.get_logger(__name__)

PostHandler = Callable[[Gateway, Call, JSONObject, str, tuple[Target, ...]], Awaitable[None]]

_POST_ROUTES: dict[str, tuple[PostHandler, Dialect]] = {
    "/v1/chat/completions": (handle_chat, Dialect.OPENAI),
    "/v1/embeddings": (handle_embeddings, Dialect.OPENAI),
    "/v1/messages": (handle_messages, Dialect.ANTHROPIC),
    "/v1/responses": (handle_responses, Dialect.OPENAI),
}
_SCAN = "/v1/guard/scan"
_MODELS = "/v1/models"
_MODELS_PREFIX = "/v1/models/"


async def _scan_route(
    gateway: Gateway, call: Call, request: JSONObject, alias: str, targets: tuple[Target, ...]
) -> None:
    await handle_scan(gateway, call, request)  # routed before model checks; here for the route table


def is_data_plane(path: str) -> bool:
    return path.startswith("/v1/")


def _endpoint(path: str) -> str:
    """The record's ``endpoint``: never a client's model name, never a NUL (PostgreSQL refuses it)."""
    if path.startswith(_MODELS_PREFIX):
        return "/v1/models/{id}"
    return path[:64] if path.isprintable() else "/v1/{unprintable}"


async def handle_data_plane(gateway: Gateway, scope: Scope, receive: Receive, send: Send) -> None:
    path: str = scope["path"]
    method: str = scope["method"]
    post = _POST_ROUTES.get(path) if path != _SCAN else (_scan_route, Dialect.OPENAI)
    dialect = post[1] if post is not None else Dialect.OPENAI
    record = RequestRecordData(id=_request_id(scope), created_at=datetime.now(UTC), endpoint=_endpoint(path))
    call = Call(scope, receive, send, record, dialect)
    if tracing.active():
        record.trace_id = tracing.current_trace_id()
        structlog.contextvars.bind_contextvars(trace_id=record.trace_id)
    gateway.active_calls += 1
    try:
        await _route(gateway, call, path, method, post)
        if record.status_code == 0:
            record.status_code = 200
    except GatewayError as exc:
        await _refuse(call, exc)
    except Exception:  # the outermost boundary: log it, answer 500 in the right shape, keep the record
        log.exception("unhandled_error", path=path, request_id=record.id)
        await _refuse(call, GatewayError("internal error; the request id names it in the logs"))
        record.error_class = "InternalError"
    finally:
        record.latency_ms = (time.perf_counter() - call.started) * 1000
        with tracing.span("records.handoff"):
            gateway.records.submit(record, call.headers)
        gateway.active_calls -= 1
        if record.trace_id is not None:
            tracing.annotate(
                {
                    "http.request.method": method,
                    "url.path": record.endpoint,
                    "http.response.status_code": record.status_code,
                    "trueport.request_id": record.id,
                    "trueport.tenant_id": record.tenant_id,
                    "trueport.key_id": record.key_id,
                    "error.type": record.error_class,
                }
            )


async def _route(
    gateway: Gateway, call: Call, path: str, method: str, post: tuple[PostHandler, Dialect] | None
) -> None:
    if post is None and path != _MODELS and not path.startswith(_MODELS_PREFIX):
        raise RouteNotFound(f"unknown endpoint {method} {path}")
    expected = "POST" if post is not None else "GET"
    if method != expected:
        raise MethodNotAllowed(f"{path} accepts {expected}, not {method}")
    with tracing.span("auth"):
        call.key = await authenticate(call.scope, gateway.keys)
    call.record.tenant_id = call.key.tenant_id
    call.record.key_id = call.key.id
    structlog.contextvars.bind_contextvars(
        request_id=call.record.id, tenant_id=call.key.tenant_id, key_id=call.key.id
    )
    if post is None:
        if path == _MODELS:
            await handle_list_models(gateway, call)
        else:
            await handle_get_model(gateway, call, path.removeprefix(_MODELS_PREFIX))
        return
    body = await read_body(call.scope, call.receive, gateway.settings.limits.max_body_bytes)
    if gateway.guard is not None and path != _SCAN:
        gateway.guard.precheck(call.key_info.tenant_id, body)  # before parsing what it would refuse
    try:
        request = loads(body)
    except JSONDecodeError as exc:
        raise InvalidRequest("the request body is not valid JSON") from exc
    if not isinstance(request, dict):
        raise InvalidRequest("the request body must be a JSON object")
    if path == _SCAN:
        await handle_scan(gateway, call, request)
        return
    alias = require_model(request)
    call.usage_estimate = partial(estimated_usage, request, gateway.settings.limits.default_max_tokens)
    with tracing.span("limits"):
        targets = await gateway.authorize(call, alias)
    handler = post[0]

    async def limited() -> None:
        key = call.key_info
        if key.tpm_limit is None and key.tenant_tpm_limit is None:
            await handler(gateway, call, request, alias, targets)  # no token limit: nothing to hold
            return
        with tracing.span("limits.tokens"):
            reservation = await gateway.reserve_tokens(call, request)
        try:
            await handler(gateway, call, request, alias, targets)
        finally:
            # Settle to the real usage (a failure used nothing): shielded so a cancelled call still settles.
            used = call.record.prompt_tokens + call.record.completion_tokens
            await asyncio.shield(gateway.limiter.settle(reservation, used))

    async def run() -> None:
        budgets = gateway.budgets
        models = [target.model for target in targets]
        hold = None
        if budgets is not None:
            with tracing.span("budget"):
                hold = await budgets.reserve(call.key_info, models, request)
        if budgets is None or hold is None:
            await limited()  # no budget: nothing to hold
            return
        try:
            await limited()
        finally:
            # Commit the real cost and refund the rest of the worst case; shielded like the TPM settle.
            await asyncio.shield(budgets.commit(hold, call.record))

    answer = run
    cache_ttl_s = gateway.cache_ttl_s(call.key_info.tenant_id, alias, call.key_info.id)
    if cache_ttl_s is not None:
        key = cache_key(call.key_info.tenant_id, path, request)

        async def answer() -> None:
            await run_cached(gateway.state.kv, call, key, cache_ttl_s, run)

    idempotency_key = header(call.scope, b"idempotency-key")
    if idempotency_key is None:
        await answer()
        return
    await run_idempotent(
        gateway.state.kv,
        call,
        idempotency_key.decode("latin-1"),
        body_fingerprint(path, body),
        answer,
        wait_s=gateway.settings.idempotency_wait_s,
    )


async def _refuse(call: Call, error: GatewayError) -> None:
    call.record.status_code = error.status
    call.record.error_class = type(error).__name__
    if call.response_started:  # too late for a status; streams end with their own error event
        return
    extra = [(name.encode(), value.encode()) for name, value in error.headers.items()]
    headers = [
        *JSON_HEADERS,
        *SECURITY_HEADERS,
        (b"x-request-id", call.record.id.encode()),
        *call.headers,
        *extra,
    ]
    await send_body(call.send, error.status, render_error(error, call.dialect), headers)


_ID_PREFIX = uuid.uuid4().hex[:16]  # random per process; the counter makes ids unique within it
_ID_COUNTER = itertools.count(1)


def _request_id(scope: Scope) -> str:
    """A UUID-shaped id, unique across processes, without a syscall per request (uuid4 costs ~4 %)."""
    tail = f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"
    return f"{tail[:8]}-{tail[8:12]}-{tail[12:16]}-{tail[16:20]}-{tail[20:32]}"
