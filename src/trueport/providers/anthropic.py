"""Anthropic's Messages API (``POST /v1/messages``, version 2023-06-01).

Two ways through: canonical requests are translated (``chat``, ``chat_stream``; see
``trueport.formats.anthropic``), and Anthropic-format requests from ``/v1/messages`` are passed
through natively (``messages``, ``messages_stream``), so the client gets Anthropic's own bytes and
every feature the gateway does not know about still works. Usage is read in both cases.

Anthropic ends every stream with ``message_stop``; a body that ends before it was cut off and raises
``UpstreamStreamBroken``, as does an ``error`` event inside the stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

import aiohttp

from trueport.errors import UnsupportedOperation, UpstreamMalformed, UpstreamStreamBroken
from trueport.formats.anthropic import (
    MessagesEventsToChatChunks,
    UsageCounter,
    chat_request_to_messages,
    message_to_chat_completion,
    usage_from_anthropic,
)
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.answers import translating
from trueport.providers.base import AdapterFactory, ChatCompletion, Embeddings, Usage
from trueport.providers.http import open_response, post_json
from trueport.providers.sse import DEFAULT_MAX_EVENT_BYTES, iter_sse
from trueport.settings import ProviderConfig

ANTHROPIC_VERSION = "2023-06-01"


@dataclass(slots=True)
class NativeMessage:
    """An Anthropic ``message`` answer: parsed, as received, and its usage."""

    body: JSONObject
    raw: bytes
    usage: Usage


async def _events(
    response: aiohttp.ClientResponse, provider: str, max_bytes: int
) -> AsyncIterator[tuple[str, bytes, JSONObject]]:
    """``(event, data bytes, data)`` for each event, until ``message_stop``; releases the response.

    Raises ``UpstreamStreamBroken`` for an ``error`` event, data that is not a JSON object, and a
    body that ends before ``message_stop``.
    """
    try:
        async for event, raw in iter_sse(response, provider, max_bytes):
            try:
                data = loads(raw)
            except JSONDecodeError as exc:
                raise UpstreamStreamBroken(
                    f"{provider}: bad event in stream", provider=provider, malformed=True
                ) from exc
            if not isinstance(data, dict):
                raise UpstreamStreamBroken(
                    f"{provider}: bad event in stream", provider=provider, malformed=True
                )
            name = event or str(data.get("type", ""))
            if name == "error":
                error = data.get("error")
                detail = error.get("message") if isinstance(error, dict) else None
                raise UpstreamStreamBroken(
                    f"{provider}: error inside stream: {detail!r:.300}", provider=provider
                )
            yield name, raw, data
            if name == "message_stop":
                return
    finally:
        response.release()
    raise UpstreamStreamBroken(f"{provider}: stream ended without message_stop", provider=provider)


class AnthropicChatStream:
    """An Anthropic stream seen as canonical chunks (a ``ChatStream``)."""

    def __init__(
        self, response: aiohttp.ClientResponse, provider: str, max_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ):
        self._response = response
        self._provider = provider
        self._max_bytes = max_bytes
        self._translator = MessagesEventsToChatChunks(provider)
        self.usage = Usage()

    def __aiter__(self) -> AsyncIterator[JSONObject]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[JSONObject]:
        async for event, _raw, data in _events(self._response, self._provider, self._max_bytes):
            with translating(self._provider, stream=True):
                chunks = self._translator.feed(event, data)
            self.usage = self._translator.usage
            for chunk in chunks:
                yield chunk

    async def aclose(self) -> None:
        self._response.close()


class NativeEventStream:
    """An Anthropic stream passed through: ``(event, data bytes, data)`` items, bytes unchanged.

    ``ping`` events are yielded too, since they keep the client's connection alive.
    """

    def __init__(
        self, response: aiohttp.ClientResponse, provider: str, max_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ):
        self._response = response
        self._provider = provider
        self._max_bytes = max_bytes
        self._counter = UsageCounter()
        self.usage = Usage()

    def __aiter__(self) -> AsyncIterator[tuple[str, bytes, JSONObject]]:
        return self._items()

    async def _items(self) -> AsyncIterator[tuple[str, bytes, JSONObject]]:
        async for event, raw, data in _events(self._response, self._provider, self._max_bytes):
            if event == "message_start" and isinstance(data.get("message"), dict):
                self._counter.update(data["message"].get("usage"))
            elif event == "message_delta":
                self._counter.update(data.get("usage"))
            self.usage = self._counter.usage
            yield event, raw, data

    async def aclose(self) -> None:
        self._response.close()


class NativeMessages(Protocol):
    """An adapter that can take an Anthropic-format request as it came, for some of its models.

    ``/v1/messages`` passes a request through natively when the target's adapter has
    ``passes_messages(model)`` true (Anthropic targets, and Claude models on Vertex AI).
    """

    def passes_messages(self, model: str) -> bool: ...

    async def messages(self, request: JSONObject, model: str) -> NativeMessage: ...

    async def messages_stream(self, request: JSONObject, model: str) -> NativeEventStream: ...


class AnthropicAdapter:
    kind: ClassVar[str] = "anthropic"

    def __init__(self, name: str, config: ProviderConfig, http: aiohttp.ClientSession):
        self.name = name
        self._config = config
        self._http = http
        # The SDK's base URL has no /v1; tolerate configurations that include it.
        base = config.base_url.removesuffix("/v1")
        self._url = f"{base}/v1/messages"
        self._headers = {"content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        api_key = config.api_key.get_secret_value()
        if api_key:
            self._headers["x-api-key"] = api_key

    async def chat(self, request: JSONObject, model: str) -> ChatCompletion:
        body = chat_request_to_messages(request, model)
        body.pop("stream", None)
        value, _raw = await self._post(body)
        with translating(self.name):
            completion = message_to_chat_completion(value)
        return ChatCompletion(body=completion, usage=usage_from_anthropic(value.get("usage")))

    async def chat_stream(self, request: JSONObject, model: str) -> AnthropicChatStream:
        body = dict(chat_request_to_messages(request, model), stream=True)
        return AnthropicChatStream(await self._open_stream(body), self.name, self._config.max_response_bytes)

    async def embeddings(self, request: JSONObject, model: str) -> Embeddings:
        raise UnsupportedOperation(f"provider {self.name!r} (Anthropic) has no embeddings API")

    def passes_messages(self, model: str) -> bool:
        return True

    async def messages(self, request: JSONObject, model: str) -> NativeMessage:
        """Pass an Anthropic-format request through, with the target's model name."""
        body = dict(request, model=model)
        body.pop("stream", None)
        value, raw = await self._post(body)
        if not isinstance(value.get("content"), list):
            raise UpstreamMalformed(f"{self.name}: answer has no content list", provider=self.name)
        return NativeMessage(body=value, raw=raw, usage=usage_from_anthropic(value.get("usage")))

    async def messages_stream(self, request: JSONObject, model: str) -> NativeEventStream:
        """Pass an Anthropic-format streaming request through; returns once the provider accepted it."""
        body = dict(request, model=model, stream=True)
        return NativeEventStream(await self._open_stream(body), self.name, self._config.max_response_bytes)

    async def _post(self, body: JSONObject) -> tuple[JSONObject, bytes]:
        return await post_json(
            self._http, self.name, self._config, self._url, body=dumps(body), headers=self._headers
        )

    async def _open_stream(self, body: JSONObject) -> aiohttp.ClientResponse:
        return await open_response(
            self._http,
            self.name,
            self._config,
            self._url,
            body=dumps(body),
            headers=self._headers,
            stream=True,
        )


if TYPE_CHECKING:  # the adapter satisfies the protocols, checked by mypy rather than at run time
    _factory: AdapterFactory = AnthropicAdapter
    _native: type[NativeMessages] = AnthropicAdapter
