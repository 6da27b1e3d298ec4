"""OpenAI and every OpenAI-compatible server: the canonical format, so mostly a pass-through."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

import aiohttp

from trueport.errors import UpstreamStreamBroken
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.answers import check_chat_completion, check_chunk, check_embeddings
from trueport.providers.base import ChatCompletion, Embeddings, Usage
from trueport.providers.http import open_response, post_json
from trueport.providers.openai_responses import NativeResponse, ResponsesEventStream, native_response
from trueport.providers.sse import DEFAULT_MAX_EVENT_BYTES, iter_sse
from trueport.settings import ProviderConfig
from trueport.usage.upstream import checked_usage


def usage_from_openai(value: object) -> Usage:
    """Read an OpenAI ``usage`` object (absent or partial usage counts as zero; a count that is not
    an integer from 0 to ``MAX_UPSTREAM_TOKENS`` makes it invalid: ``trueport.usage.upstream``)."""
    if not isinstance(value, dict):
        return Usage()
    details = value.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return checked_usage(value.get("prompt_tokens"), value.get("completion_tokens"), cached)


class OpenAIChatStream:
    """Chunks of an OpenAI-format SSE stream, ending at ``data: [DONE]``."""

    def __init__(
        self, response: aiohttp.ClientResponse, provider: str, max_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ):
        self._response = response
        self._provider = provider
        self._max_bytes = max_bytes
        self.usage = Usage()

    def __aiter__(self) -> AsyncIterator[JSONObject]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[JSONObject]:
        done = False
        try:
            async for _event, data in iter_sse(self._response, self._provider, self._max_bytes):
                if data == b"[DONE]":
                    done = True
                    break
                try:
                    chunk = loads(data)
                except JSONDecodeError as exc:
                    raise UpstreamStreamBroken(
                        f"{self._provider}: bad chunk in stream", provider=self._provider, malformed=True
                    ) from exc
                if not isinstance(chunk, dict):
                    continue
                if "error" in chunk and "choices" not in chunk:
                    raise UpstreamStreamBroken(
                        f"{self._provider}: error inside stream", provider=self._provider
                    )
                check_chunk(chunk, self._provider)
                if chunk.get("usage"):
                    self.usage = usage_from_openai(chunk["usage"])
                yield chunk
        finally:
            self._response.release()
        if not done:
            raise UpstreamStreamBroken(
                f"{self._provider}: stream ended without [DONE]", provider=self._provider
            )

    async def aclose(self) -> None:
        self._response.close()


class OpenAIAdapter:
    kind: ClassVar[str] = "openai"

    def __init__(self, name: str, config: ProviderConfig, http: aiohttp.ClientSession):
        self.name = name
        self._config = config
        self._http = http
        self._headers = {
            "Content-Type": "application/json",
            **self._auth_headers(config.api_key.get_secret_value()),
        }

    @staticmethod
    def _auth_headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _url(self, path: str, model: str) -> str:
        return f"{self._config.base_url}/{path}"

    async def chat(self, request: JSONObject, model: str) -> ChatCompletion:
        body = dict(request, model=model)
        value, raw = await post_json(
            self._http,
            self.name,
            self._config,
            self._url("chat/completions", model),
            body=dumps(body),
            headers=self._headers,
        )
        check_chat_completion(value, self.name)
        return ChatCompletion(body=value, usage=usage_from_openai(value.get("usage")), raw=raw)

    async def chat_stream(self, request: JSONObject, model: str) -> OpenAIChatStream:
        body = dict(request, model=model)
        response = await open_response(
            self._http,
            self.name,
            self._config,
            self._url("chat/completions", model),
            body=dumps(body),
            headers=self._headers,
            stream=True,
        )
        return OpenAIChatStream(response, self.name, self._config.max_response_bytes)

    async def embeddings(self, request: JSONObject, model: str) -> Embeddings:
        body = dict(request, model=model)
        value, raw = await post_json(
            self._http,
            self.name,
            self._config,
            self._url("embeddings", model),
            body=dumps(body),
            headers=self._headers,
        )
        check_embeddings(value, self.name)
        return Embeddings(body=value, usage=usage_from_openai(value.get("usage")), raw=raw)

    async def responses(self, request: JSONObject, model: str) -> NativeResponse:
        """Pass a Responses API request through, with the target's model name (``/v1/responses``)."""
        body = dict(request, model=model)
        body.pop("stream", None)
        value, raw = await post_json(
            self._http,
            self.name,
            self._config,
            self._url("responses", model),
            body=dumps(body),
            headers=self._headers,
        )
        return native_response(value, raw, self.name)

    async def responses_stream(self, request: JSONObject, model: str) -> ResponsesEventStream:
        """Pass a streaming Responses API request through; returns once the provider accepted it."""
        body = dict(request, model=model, stream=True)
        response = await open_response(
            self._http,
            self.name,
            self._config,
            self._url("responses", model),
            body=dumps(body),
            headers=self._headers,
            stream=True,
        )
        return ResponsesEventStream(response, self.name, self._config.max_response_bytes)
