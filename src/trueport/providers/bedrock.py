"""Amazon Bedrock: Converse, ConverseStream and embeddings (InvokeModel), signed with SigV4.

The translation is in ``trueport.formats.bedrock`` (chat) and ``trueport.formats.bedrock_embeddings``;
the credentials and signing in ``trueport.providers.aws_signing``; this module only calls. A target's
``model`` is a model id (``anthropic.claude-3-5-haiku-20241022-v1:0``), an inference profile id
(``us.amazon.nova-lite-v1:0``) or an ARN; it is sent percent-encoded in the path, and the path is
signed exactly as aiohttp sends it.

Bedrock names its errors in ``x-amzn-ErrorType`` (or ``__type`` in the body). They are mapped to the
statuses the failover understands: throttling and quota errors are 429 (the next target is tried),
a model not ready or an unavailable service 503, a model that failed 502, a model timeout 408,
signature and permission errors 403 (this target's identity), validation errors 400 (the client's
request, not retried). Streams are AWS event-stream frames (``trueport.formats.eventstream``); an
exception event inside a stream, a bad frame or a stream cut before ``messageStop`` raise
``UpstreamStreamBroken``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

import aiohttp
import yarl

from trueport.errors import UpstreamStatus, UpstreamStreamBroken
from trueport.formats.bedrock import (
    ConverseStreamToChatChunks,
    chat_request_to_converse,
    converse_to_chat_completion,
    usage_from_bedrock,
)
from trueport.formats.bedrock_embeddings import (
    embedding_family,
    embedding_texts,
    invoke_bodies,
    to_embeddings,
    vectors_of,
)
from trueport.formats.eventstream import EventMessage, EventStreamDecoder, EventStreamError
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.answers import translating
from trueport.providers.aws_signing import AwsSigner
from trueport.providers.base import AdapterFactory, ChatCompletion, Embeddings, Usage
from trueport.providers.http import read_json, send_request
from trueport.settings import ProviderConfig

EVENT_STREAM = "application/vnd.amazon.eventstream"
_MAX_ERROR_BODY = 4096
# Bedrock's error types and the status the gateway treats each as (others keep the HTTP status).
ERROR_STATUSES = {
    "ThrottlingException": 429,
    "ServiceQuotaExceededException": 429,
    "TooManyRequestsException": 429,
    "ModelNotReadyException": 503,
    "ServiceUnavailableException": 503,
    "InternalServerException": 500,
    "ModelErrorException": 502,
    "ModelTimeoutException": 408,
    "AccessDeniedException": 403,
    "UnrecognizedClientException": 403,
    "InvalidSignatureException": 403,
    "IncompleteSignatureException": 403,
    "MissingAuthenticationTokenException": 403,
    "ExpiredTokenException": 403,
    "ValidationException": 400,
    "ResourceNotFoundException": 404,
}


def error_type(header: str | None, body: object) -> str:
    """The short error type, from ``x-amzn-ErrorType`` (``Name:namespace``) or ``__type`` (``ns#Name``)."""
    raw = header or (body.get("__type") if isinstance(body, dict) else None) or ""
    return str(raw).split(":", 1)[0].rsplit("#", 1)[-1]


async def raise_for_error(response: aiohttp.ClientResponse, provider: str) -> None:
    """Raise ``UpstreamStatus`` for a Bedrock error answer (the body's message goes to the logs only)."""
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
    kind = error_type(response.headers.get("x-amzn-ErrorType"), body)
    message = body.get("message") or body.get("Message") if isinstance(body, dict) else None
    status = ERROR_STATUSES.get(kind, response.status)
    detail = f"{kind or 'error'}: {str(message or '')[:300]}"
    raise UpstreamStatus(f"{provider} answered {response.status} {detail}", provider=provider, status=status)


class BedrockChatStream:
    """Canonical chunks of a ConverseStream answer (AWS event-stream frames)."""

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        provider: str,
        model: str,
        *,
        include_usage: bool,
        max_bytes: int,
    ):
        self._response = response
        self._provider = provider
        self._decoder = EventStreamDecoder(max_bytes)
        self._converter = ConverseStreamToChatChunks(model)
        self._include_usage = include_usage
        self.usage = Usage()

    def __aiter__(self) -> AsyncIterator[JSONObject]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[JSONObject]:
        converter = self._converter
        try:
            async for message in self._messages():
                event_type, data = self._event(message)
                with translating(self._provider, stream=True):
                    chunks = converter.feed(event_type, data)
                self.usage = converter.usage
                for chunk in chunks:
                    yield chunk
        finally:
            self._response.release()
        if not converter.finished or self._decoder.pending:
            raise UpstreamStreamBroken(
                f"{self._provider}: stream ended before messageStop", provider=self._provider
            )
        if self._include_usage:
            for chunk in converter.finish():
                yield chunk

    async def _messages(self) -> AsyncIterator[EventMessage]:
        provider = self._provider
        try:
            async for data in self._response.content.iter_any():
                for message in self._decoder.feed(data):
                    yield message
        except EventStreamError as exc:
            raise UpstreamStreamBroken(f"{provider}: {exc}", provider=provider, malformed=True) from exc
        except TimeoutError as exc:
            raise UpstreamStreamBroken(f"{provider}: stream stalled", provider=provider) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamStreamBroken(
                f"{provider}: stream broken ({type(exc).__name__})", provider=provider
            ) from exc

    def _event(self, message: EventMessage) -> tuple[str, JSONObject]:
        provider = self._provider
        kind = message.header(":message-type")
        if kind == "exception":
            name = message.header(":exception-type") or "exception"
            raise UpstreamStreamBroken(
                f"{provider}: {name} inside stream: {message.payload[:300]!r}", provider=provider
            )
        if kind == "error":
            code = message.header(":error-code") or "error"
            raise UpstreamStreamBroken(
                f"{provider}: {code} inside stream: {message.header(':error-message')!r:.300}",
                provider=provider,
            )
        try:
            data = loads(message.payload)
        except JSONDecodeError:
            data = None
        if kind != "event" or not isinstance(data, dict):
            raise UpstreamStreamBroken(f"{provider}: bad event in stream", provider=provider, malformed=True)
        return message.header(":event-type") or "", data

    async def aclose(self) -> None:
        self._response.close()


class BedrockAdapter:
    """One AWS identity in one region; ``base_url`` is the bedrock-runtime endpoint (or an override)."""

    kind: ClassVar[str] = "bedrock"

    def __init__(self, name: str, config: ProviderConfig, http: aiohttp.ClientSession):
        self.name = name
        self._config = config
        self._http = http
        self._root = config.base_url
        self._signer = AwsSigner(name, config)

    def url(self, model: str, action: str) -> str:
        """The URL for ``model``, in the form aiohttp sends (so the signed path is the sent path)."""
        return str(yarl.URL(f"{self._root}/model/{quote(model, safe='')}/{action}"))

    async def _send(
        self, model: str, action: str, body: JSONObject, *, accept: str, stream: bool = False
    ) -> aiohttp.ClientResponse:
        url = self.url(model, action)
        raw = dumps(body)
        headers = await self._signer.sign(url, raw, {"Content-Type": "application/json", "Accept": accept})
        response = await send_request(
            self._http, self.name, self._config, url, body=raw, headers=headers, stream=stream
        )
        await raise_for_error(response, self.name)
        return response

    async def _invoke(
        self, model: str, action: str, body: JSONObject
    ) -> tuple[JSONObject, aiohttp.ClientResponse]:
        response = await self._send(model, action, body, accept="application/json")
        value, _raw = await read_json(response, self.name, self._config.max_response_bytes)
        return value, response

    async def chat(self, request: JSONObject, model: str) -> ChatCompletion:
        body = chat_request_to_converse(request)
        value, _response = await self._invoke(model, "converse", body)
        with translating(self.name):
            completion = converse_to_chat_completion(value, model)
        return ChatCompletion(body=completion, usage=usage_from_bedrock(value.get("usage")))

    async def chat_stream(self, request: JSONObject, model: str) -> BedrockChatStream:
        body = chat_request_to_converse(request)
        response = await self._send(model, "converse-stream", body, accept=EVENT_STREAM, stream=True)
        options = request.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return BedrockChatStream(
            response, self.name, model, include_usage=include_usage, max_bytes=self._config.max_response_bytes
        )

    async def embeddings(self, request: JSONObject, model: str) -> Embeddings:
        family = embedding_family(model)
        texts = embedding_texts(request)
        bodies = invoke_bodies(request, model)
        answers = await asyncio.gather(*(self._invoke(model, "invoke", body) for body in bodies))
        vectors: list[list[float]] = []
        tokens = 0
        for body, (value, response) in zip(bodies, answers, strict=True):
            with translating(self.name):
                vectors.extend(vectors_of(value, family))
            tokens += _input_tokens(response, value, body)
        if len(vectors) != len(texts):
            raise UpstreamStatus(
                f"{self.name}: {len(vectors)} embeddings for {len(texts)} inputs",
                provider=self.name,
                status=502,
            )
        encoding = "base64" if request.get("encoding_format") == "base64" else "float"
        return Embeddings(
            body=to_embeddings(vectors, model, tokens, encoding_format=encoding),
            usage=Usage(prompt_tokens=tokens),
        )


def _input_tokens(response: aiohttp.ClientResponse, value: JSONObject, body: JSONObject) -> int:
    """Bedrock's count (``X-Amzn-Bedrock-Input-Token-Count``, or Titan's ``inputTextTokenCount``)."""
    for raw in (response.headers.get("X-Amzn-Bedrock-Input-Token-Count"), value.get("inputTextTokenCount")):
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
            return raw
        if isinstance(raw, str) and raw.isdigit():
            return int(raw)
    texts = body["texts"] if "texts" in body else [body["inputText"]]
    return sum(max(1, (len(str(text)) + 3) // 4) for text in texts)  # about four characters a token


if TYPE_CHECKING:  # the adapter satisfies the protocol, checked by mypy rather than at run time
    _factory: AdapterFactory = BedrockAdapter
