"""Google AI Studio (the Gemini API, v1beta): chat, streamed chat and embeddings.

The translation is in ``trueport.formats.gemini``; this module only calls. The API key travels in the
``x-goog-api-key`` header, never as ``?key=`` in the URL, so it cannot leak into access logs, traces
or error messages that quote the URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar
from urllib.parse import quote

import aiohttp

from trueport.errors import UpstreamStatus, UpstreamStreamBroken
from trueport.formats.gemini import (
    GenerateContentStreamToChatChunks,
    batch_embed_to_embeddings,
    chat_request_to_generate_content,
    embedding_inputs,
    embeddings_request_to_batch_embed,
    estimate_tokens,
    generate_content_to_chat_completion,
    usage_from_gemini,
)
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.answers import translating
from trueport.providers.base import ChatCompletion, Embeddings, Usage
from trueport.providers.http import open_response, post_json
from trueport.providers.sse import DEFAULT_MAX_EVENT_BYTES, iter_sse
from trueport.settings import ProviderConfig


class GeminiChatStream:
    """Canonical chunks of a ``streamGenerateContent?alt=sse`` stream.

    Gemini sends no ``[DONE]``: a stream is complete only if a ``finishReason`` (or a blocked prompt)
    arrived before the body ended; anything else is a cut stream. The closing usage chunk is yielded
    only when the client asked for it with ``stream_options.include_usage``, as OpenAI does;
    ``usage`` is kept either way.
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        provider: str,
        model: str,
        *,
        include_usage: bool,
        max_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ):
        self._response = response
        self._provider = provider
        self._max_bytes = max_bytes
        self._converter = GenerateContentStreamToChatChunks(model)
        self._include_usage = include_usage
        self.usage = Usage()

    def __aiter__(self) -> AsyncIterator[JSONObject]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[JSONObject]:
        converter = self._converter
        try:
            async for _event, data in iter_sse(self._response, self._provider, self._max_bytes):
                event = self._event(data)
                with translating(self._provider, stream=True):
                    chunks = converter.feed(event)
                self.usage = converter.usage
                for chunk in chunks:
                    yield chunk
        finally:
            self._response.release()
        if not converter.finished:
            raise UpstreamStreamBroken(
                f"{self._provider}: stream ended without a finishReason", provider=self._provider
            )
        if self._include_usage:
            for chunk in converter.finish():
                yield chunk

    def _event(self, data: bytes) -> JSONObject:
        try:
            event = loads(data)
        except JSONDecodeError as exc:
            raise UpstreamStreamBroken(
                f"{self._provider}: bad event in stream", provider=self._provider, malformed=True
            ) from exc
        if not isinstance(event, dict):
            raise UpstreamStreamBroken(
                f"{self._provider}: bad event in stream", provider=self._provider, malformed=True
            )
        if "error" in event:
            error = event["error"]
            message = error.get("message") if isinstance(error, dict) else None
            detail = f": {str(message)[:300]}" if message else ""
            raise UpstreamStreamBroken(
                f"{self._provider}: error inside stream{detail}", provider=self._provider
            )
        return event

    async def aclose(self) -> None:
        self._response.close()


class GeminiAdapter:
    """One Google AI Studio account; ``base_url`` is the API root, e.g. https://generativelanguage.googleapis.com."""

    kind: ClassVar[str] = "gemini"

    def __init__(self, name: str, config: ProviderConfig, http: aiohttp.ClientSession):
        self.name = name
        self._config = config
        self._http = http
        # Tolerate a base_url that already names the API version.
        self._root = config.base_url.removesuffix("/v1beta")
        self._headers = {"Content-Type": "application/json"}
        api_key = config.api_key.get_secret_value()
        if api_key:
            self._headers["x-goog-api-key"] = api_key

    def _url(self, model: str, method: str) -> str:
        model_id = quote(model.removeprefix("models/"), safe="")
        return f"{self._root}/v1beta/models/{model_id}:{method}"

    async def chat(self, request: JSONObject, model: str) -> ChatCompletion:
        body = chat_request_to_generate_content(request)
        value, _raw = await post_json(
            self._http,
            self.name,
            self._config,
            self._url(model, "generateContent"),
            body=dumps(body),
            headers=self._headers,
        )
        with translating(self.name):
            completion = generate_content_to_chat_completion(value, model)
        return ChatCompletion(body=completion, usage=usage_from_gemini(value.get("usageMetadata")))

    async def chat_stream(self, request: JSONObject, model: str) -> GeminiChatStream:
        body = chat_request_to_generate_content(request)
        response = await open_response(
            self._http,
            self.name,
            self._config,
            self._url(model, "streamGenerateContent?alt=sse"),
            body=dumps(body),
            headers=self._headers,
            stream=True,
        )
        options = request.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return GeminiChatStream(
            response,
            self.name,
            model,
            include_usage=include_usage,
            max_bytes=self._config.max_response_bytes,
        )

    async def embeddings(self, request: JSONObject, model: str) -> Embeddings:
        texts = embedding_inputs(request)
        body = embeddings_request_to_batch_embed(request, model)
        value, _raw = await post_json(
            self._http,
            self.name,
            self._config,
            self._url(model, "batchEmbedContents"),
            body=dumps(body),
            headers=self._headers,
        )
        estimate = estimate_tokens(texts)
        encoding = "base64" if request.get("encoding_format") == "base64" else "float"
        with translating(self.name):
            result = batch_embed_to_embeddings(value, model, estimate, encoding_format=encoding)
        if len(result["data"]) != len(texts):
            raise UpstreamStatus(
                f"{self.name}: {len(result['data'])} embeddings for {len(texts)} inputs",
                provider=self.name,
                status=502,
            )
        return Embeddings(body=result, usage=Usage(prompt_tokens=estimate))
