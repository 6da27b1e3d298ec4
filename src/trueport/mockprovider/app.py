"""The emulator's aiohttp application: the route table and the steps every provider request shares.

Every provider request is recorded, waits ``latency_ms``, has its credential checked, and is then
answered by its format's endpoint; a ``MockError`` raised anywhere on the way is rendered in the
route's own error shape. Introspection lives under ``/_mock/`` and is neither recorded nor checked.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from trueport.jsonutil import JSONDecodeError, dumps, loads
from trueport.mockprovider import (
    anthropic_format,
    azure_format,
    bedrock_format,
    gemini_format,
    google_oauth,
    malformed,
    openai_format,
    responses_format,
    scripted,
    vertex_format,
)
from trueport.mockprovider.exchange import (
    ConnectionDropped,
    Dialect,
    Endpoint,
    Exchange,
    MockError,
    drop_connection,
)
from trueport.mockprovider.state import MockState, RecordedRequest

STATE = web.AppKey("trueport.mockprovider.state", MockState)
MAX_BODY_BYTES = 32 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OPENAI = openai_format.OpenAIDialect()
AZURE = azure_format.AzureDialect()
ANTHROPIC = anthropic_format.AnthropicDialect()
GEMINI = gemini_format.GeminiDialect()
BEDROCK = bedrock_format.BedrockDialect()
VERTEX = vertex_format.VertexDialect()

ROUTES: list[tuple[str, str, Dialect, Endpoint]] = [
    ("POST", "/v1/chat/completions", OPENAI, openai_format.chat),
    ("POST", "/v1/embeddings", OPENAI, openai_format.embeddings),
    ("POST", "/v1/responses", OPENAI, responses_format.responses),
    ("GET", "/v1/models", OPENAI, openai_format.list_models),
    ("GET", "/v1/models/{model}", OPENAI, openai_format.get_model),
    ("POST", "/openai/deployments/{deployment}/chat/completions", AZURE, azure_format.chat),
    ("POST", "/openai/deployments/{deployment}/embeddings", AZURE, azure_format.embeddings),
    ("POST", "/v1/messages", ANTHROPIC, anthropic_format.messages),
    ("POST", "/v1beta/models/{target}", GEMINI, gemini_format.model_method),
    ("POST", "/model/{model}/converse", BEDROCK, bedrock_format.converse),
    ("POST", "/model/{model}/converse-stream", BEDROCK, bedrock_format.converse_stream),
    ("POST", "/model/{model}/invoke", BEDROCK, bedrock_format.invoke),
    ("POST", vertex_format.PATH, VERTEX, vertex_format.model_method),
]


def _parse(raw: bytes) -> tuple[object, object]:
    """``(value for the endpoint, value for the request log)``: JSON, else ``None`` and the text."""
    if not raw:
        return None, None
    try:
        value = loads(raw)
    except JSONDecodeError:
        return None, raw.decode("utf-8", "replace")
    return value, value


async def _record(request: web.Request, state: MockState) -> object:
    """Log the request and return its parsed JSON body (``None`` if empty or not JSON)."""
    parsed, logged = _parse(await request.read())
    state.log.record(
        RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=logged,
        )
    )
    return parsed


def _check_credential(dialect: Dialect, request: web.Request, state: MockState) -> None:
    if isinstance(dialect, bedrock_format.BedrockDialect):
        return  # SigV4: each Bedrock endpoint checks the signature over the body (``sigv4``)
    if isinstance(dialect, vertex_format.VertexDialect):
        google_oauth.check_request(request)  # a live token from the emulator's /token
        return
    credential = dialect.credential(request)
    if not credential:
        raise MockError(401, f"missing API key: send it as {dialect.credential_hint}")
    if state.api_key is not None and not hmac.compare_digest(credential.encode(), state.api_key.encode()):
        raise MockError(401, "incorrect API key provided")


def _error_response(dialect: Dialect, error: MockError, ex: Exchange) -> web.Response:
    headers = {**ex.response_headers(), **error.headers}
    return web.Response(
        body=dumps(dialect.error_body(error)),
        status=error.status,
        content_type="application/json",
        headers=headers,
    )


def provider_route(dialect: Dialect, endpoint: Endpoint) -> Handler:
    """The aiohttp handler for one provider endpoint: the shared steps around ``endpoint``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        ex = Exchange(request, state, dialect, await _record(request, state))
        if state.latency_ms:
            await asyncio.sleep(state.latency_ms / 1000)
        try:
            _check_credential(dialect, request, state)
            return await endpoint(ex)
        except MockError as error:
            return _error_response(dialect, error, ex)
        except ConnectionDropped:
            drop_connection(request)
            return web.Response()

    return handle


async def _unknown_route(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    ex = Exchange(request, state, OPENAI, await _record(request, state))
    error = MockError(404, f"unknown route {request.method} {request.path}", code="unknown_url")
    return _error_response(OPENAI, error, ex)


async def _get_requests(request: web.Request) -> web.StreamResponse:
    return web.Response(body=dumps(request.app[STATE].log.snapshot()), content_type="application/json")


async def _delete_requests(request: web.Request) -> web.StreamResponse:
    request.app[STATE].log.clear()
    return web.Response(status=204)


async def _reset(request: web.Request) -> web.StreamResponse:
    request.app[STATE].reset()
    return web.Response(status=204)


async def _health(request: web.Request) -> web.StreamResponse:
    return web.Response(body=b'{"status":"ok"}', content_type="application/json")


async def _release_hanging(app: web.Application) -> None:
    app[STATE].closing.set()


def create_app(*, latency_ms: int = 0, api_key: str | None = None) -> web.Application:
    """The emulator as an aiohttp application (see the package docstring for what it serves)."""
    if latency_ms < 0:
        raise ValueError("latency_ms must not be negative")
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[STATE] = MockState(latency_ms=latency_ms, api_key=api_key or None)
    app.on_shutdown.append(_release_hanging)
    router = app.router
    router.add_get("/_mock/health", _health)
    router.add_get("/_mock/requests", _get_requests)
    router.add_delete("/_mock/requests", _delete_requests)
    router.add_post("/_mock/reset", _reset)
    for method, path, dialect, endpoint in ROUTES:
        router.add_route(method, path, provider_route(dialect, endpoint))
    malformed.install(app)
    google_oauth.install(app)
    scripted.install(app)
    router.add_route("*", "/{tail:.*}", _unknown_route)
    return app
