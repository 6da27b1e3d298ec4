"""Google Vertex AI: Gemini models (``generateContent``) and Anthropic models (``rawPredict``), with OAuth.

One provider is one Google Cloud project in one location; every URL is
``{base}/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}``.
The publisher is the provider's ``publisher`` setting, or it follows the target's model name
(``claude-*`` is ``anthropic``, anything else ``google``). Gemini bodies are translated by
``trueport.formats.gemini``, Claude bodies by ``trueport.formats.anthropic`` (with Vertex's changes in
``trueport.formats.vertex``); text embeddings are ``:predict`` calls. ``/v1/messages`` requests for
Claude models are passed through natively (``messages``, ``messages_stream``), as to an Anthropic
target. The access token comes from
``trueport.providers.google_tokens``.

Errors are Google's ``{"error": {"code", "message", "status"}}`` (Claude's own error shape for
Anthropic models); the status names the gateway's status: ``RESOURCE_EXHAUSTED`` is 429 (the next
target is tried), ``UNAVAILABLE`` 503, ``DEADLINE_EXCEEDED`` 504, ``UNAUTHENTICATED`` 401,
``PERMISSION_DENIED`` 403, ``INVALID_ARGUMENT`` and ``FAILED_PRECONDITION`` 400 (the client's
request). A 401 or 403 is answered by one token refresh and one more try; if that is refused too the
error stands and the failover moves on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Literal
from urllib.parse import quote

import aiohttp

from trueport.errors import UnsupportedOperation, UpstreamMalformed, UpstreamStatus
from trueport.formats.anthropic import (
    chat_request_to_messages,
    message_to_chat_completion,
    usage_from_anthropic,
)
from trueport.formats.bedrock_embeddings import to_embeddings
from trueport.formats.gemini import (
    chat_request_to_generate_content,
    embedding_inputs,
    estimate_tokens,
    generate_content_to_chat_completion,
    usage_from_gemini,
)
from trueport.formats.vertex import anthropic_body, embeddings_request_to_predict, predict_to_vectors
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.answers import translating
from trueport.providers.anthropic import AnthropicChatStream, NativeEventStream, NativeMessage, NativeMessages
from trueport.providers.base import AdapterFactory, ChatCompletion, ChatStream, Embeddings, Usage
from trueport.providers.gemini import GeminiChatStream
from trueport.providers.google_tokens import GoogleTokens
from trueport.providers.http import read_json, send_request
from trueport.settings import ProviderConfig

Publisher = Literal["google", "anthropic"]
_MAX_ERROR_BODY = 4096
# Google's canonical error codes and the status the gateway treats each as (others keep the HTTP status).
ERROR_STATUSES = {
    "RESOURCE_EXHAUSTED": 429,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
    "INTERNAL": 500,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "NOT_FOUND": 404,
    "ABORTED": 409,
}


def publisher_of(model: str, configured: Publisher | None = None) -> Publisher:
    """The publisher serving ``model``: the configured one, else ``anthropic`` for ``claude-*``."""
    if configured is not None:
        return configured
    return "anthropic" if model.startswith("claude") else "google"


def error_detail(body: object) -> tuple[str, str]:
    """``(status name, message)`` of a Google error (or a Claude error) body; empty strings if neither."""
    if isinstance(body, list) and body:  # streamGenerateContent without alt=sse wraps it in a list
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    name = error.get("status") if isinstance(error.get("status"), str) else error.get("type")
    return str(name or ""), str(error.get("message") or "")


async def raise_for_error(response: aiohttp.ClientResponse, provider: str) -> None:
    """Raise ``UpstreamStatus`` for a Vertex error answer (the body's message goes to the logs only)."""
    if response.status < 400:
        return
    try:
        raw = await response.content.read(_MAX_ERROR_BODY)
    except (aiohttp.ClientError, TimeoutError):
        raw = b""
    finally:
        response.close()
    try:
        body: object = loads(raw)
    except JSONDecodeError:
        body = None
    name, message = error_detail(body)
    status = ERROR_STATUSES.get(name, response.status)
    detail = f"{name or 'error'}: {message[:300]}"
    raise UpstreamStatus(f"{provider} answered {response.status} {detail}", provider=provider, status=status)


class VertexAdapter:
    """One Google Cloud project and location; ``base_url`` is the location's endpoint (or an override)."""

    kind: ClassVar[str] = "vertex"

    def __init__(self, name: str, config: ProviderConfig, http: aiohttp.ClientSession):
        if config.project is None or config.location is None:
            raise ValueError("vertex providers need project and location")
        self.name = name
        self._config = config
        self._http = http
        self._root = (
            f"{config.base_url}/v1/projects/{quote(config.project, safe='')}"
            f"/locations/{quote(config.location, safe='')}/publishers"
        )
        self.tokens = GoogleTokens(name, config)

    def publisher(self, model: str) -> Publisher:
        return publisher_of(model, self._config.publisher)

    def url(self, model: str, method: str) -> str:
        """The URL of ``method`` (``generateContent``, ``rawPredict``, ...) on ``model``."""
        return f"{self._root}/{self.publisher(model)}/models/{quote(model, safe='@')}:{method}"

    async def _send(self, url: str, body: JSONObject, *, stream: bool = False) -> aiohttp.ClientResponse:
        raw = dumps(body)
        token = await self.tokens.token()
        response = await self._post(url, raw, token, stream=stream)
        if response.status in (401, 403):  # the token may have been revoked or expired early: once more
            response.close()
            response = await self._post(url, raw, await self.tokens.renew(token), stream=stream)
        await raise_for_error(response, self.name)
        return response

    async def _post(self, url: str, raw: bytes, token: str, *, stream: bool) -> aiohttp.ClientResponse:
        headers: Mapping[str, str] = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        return await send_request(
            self._http, self.name, self._config, url, body=raw, headers=headers, stream=stream
        )

    async def _call(self, url: str, body: JSONObject) -> JSONObject:
        response = await self._send(url, body)
        value, _raw = await read_json(response, self.name, self._config.max_response_bytes)
        return value

    async def chat(self, request: JSONObject, model: str) -> ChatCompletion:
        if self.publisher(model) == "anthropic":
            body = anthropic_body(chat_request_to_messages(request, model), stream=False)
            value = await self._call(self.url(model, "rawPredict"), body)
            with translating(self.name):
                completion = message_to_chat_completion(value)
            return ChatCompletion(body=completion, usage=usage_from_anthropic(value.get("usage")))
        value = await self._call(
            self.url(model, "generateContent"), chat_request_to_generate_content(request)
        )
        with translating(self.name):
            completion = generate_content_to_chat_completion(value, model)
        return ChatCompletion(body=completion, usage=usage_from_gemini(value.get("usageMetadata")))

    async def chat_stream(self, request: JSONObject, model: str) -> ChatStream:
        max_bytes = self._config.max_response_bytes
        if self.publisher(model) == "anthropic":
            body = anthropic_body(chat_request_to_messages(request, model), stream=True)
            response = await self._send(self.url(model, "streamRawPredict"), body, stream=True)
            return AnthropicChatStream(response, self.name, max_bytes)
        body = chat_request_to_generate_content(request)
        response = await self._send(self.url(model, "streamGenerateContent?alt=sse"), body, stream=True)
        options = request.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return GeminiChatStream(response, self.name, model, include_usage=include_usage, max_bytes=max_bytes)

    def passes_messages(self, model: str) -> bool:
        """Claude models take ``/v1/messages`` requests as they came (Vertex's body changes aside)."""
        return self.publisher(model) == "anthropic"

    async def messages(self, request: JSONObject, model: str) -> NativeMessage:
        """Pass an Anthropic-format request through to ``rawPredict``."""
        response = await self._send(self.url(model, "rawPredict"), anthropic_body(request, stream=False))
        value, raw = await read_json(response, self.name, self._config.max_response_bytes)
        if not isinstance(value.get("content"), list):
            raise UpstreamMalformed(f"{self.name}: answer has no content list", provider=self.name)
        return NativeMessage(body=value, raw=raw, usage=usage_from_anthropic(value.get("usage")))

    async def messages_stream(self, request: JSONObject, model: str) -> NativeEventStream:
        """Pass an Anthropic-format streaming request through to ``streamRawPredict``."""
        body = anthropic_body(request, stream=True)
        response = await self._send(self.url(model, "streamRawPredict"), body, stream=True)
        return NativeEventStream(response, self.name, self._config.max_response_bytes)

    async def embeddings(self, request: JSONObject, model: str) -> Embeddings:
        if self.publisher(model) != "google":
            raise UnsupportedOperation(f"provider {self.name!r}: Anthropic models on Vertex AI do not embed")
        texts = embedding_inputs(request)
        value = await self._call(self.url(model, "predict"), embeddings_request_to_predict(request))
        with translating(self.name):
            vectors, counted = predict_to_vectors(value)
        if len(vectors) != len(texts):
            raise UpstreamStatus(
                f"{self.name}: {len(vectors)} embeddings for {len(texts)} inputs",
                provider=self.name,
                status=502,
            )
        tokens = counted if counted is not None else estimate_tokens(texts)
        encoding = "base64" if request.get("encoding_format") == "base64" else "float"
        return Embeddings(
            body=to_embeddings(vectors, model, tokens, encoding_format=encoding),
            usage=Usage(prompt_tokens=tokens),
        )


if TYPE_CHECKING:  # the adapter satisfies the protocol, checked by mypy rather than at run time
    _factory: AdapterFactory = VertexAdapter
    _native: type[NativeMessages] = VertexAdapter
