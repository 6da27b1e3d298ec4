"""OpenAI's Responses API passed through (``POST {base_url}/responses``): answers and typed streams.

The client's request goes to OpenAI as it came (with the target's model name), so every feature
of the Responses API works, ``previous_response_id`` and built-in tools included; the gateway reads
only the usage (and the response id). A stream ends with ``response.completed``,
``response.incomplete`` or ``response.failed``; a body that ends before one of them was cut off and
raises ``UpstreamStreamBroken``, as does an ``error`` event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

from trueport.errors import UpstreamMalformed, UpstreamStreamBroken
from trueport.jsonutil import JSONDecodeError, JSONObject, loads
from trueport.providers.base import Usage
from trueport.providers.sse import DEFAULT_MAX_EVENT_BYTES, iter_sse
from trueport.usage.upstream import checked_usage

TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})

StreamItem = tuple[str, bytes, JSONObject]  # (event type, data bytes as received, data)


@dataclass(slots=True)
class NativeResponse:
    """A ``response`` answer: parsed, as received, and its usage."""

    body: JSONObject
    raw: bytes
    usage: Usage


def usage_from_responses(value: object) -> Usage:
    """Read a Responses ``usage`` object (``input_tokens``, ``output_tokens``, cached input)."""
    if not isinstance(value, dict):
        return Usage()
    details = value.get("input_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return checked_usage(value.get("input_tokens"), value.get("output_tokens"), cached)


def native_response(value: JSONObject, raw: bytes, provider: str) -> NativeResponse:
    if not isinstance(value.get("output"), list) or not isinstance(value.get("id"), str):
        raise UpstreamMalformed(f"{provider}: answer is not a response object", provider=provider)
    return NativeResponse(value, raw, usage_from_responses(value.get("usage")))


class ResponsesEventStream:
    """A Responses stream passed through: ``(event, data bytes, data)`` items, bytes unchanged."""

    def __init__(
        self, response: aiohttp.ClientResponse, provider: str, max_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ):
        self._response = response
        self._provider = provider
        self._max_bytes = max_bytes
        self.usage = Usage()
        self.response_id: str | None = None  # from ``response.created``

    def __aiter__(self) -> AsyncIterator[StreamItem]:
        return self._items()

    async def _items(self) -> AsyncIterator[StreamItem]:
        provider = self._provider
        try:
            async for event, raw in iter_sse(self._response, provider, self._max_bytes):
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
                    raise UpstreamStreamBroken(
                        f"{provider}: error inside stream: {data.get('message')!r:.300}", provider=provider
                    )
                response = data.get("response")
                if isinstance(response, dict):
                    if name == "response.created" and isinstance(response.get("id"), str):
                        self.response_id = response["id"]
                    if response.get("usage") is not None:
                        self.usage = usage_from_responses(response["usage"])
                yield name, raw, data
                if name in TERMINAL_EVENTS:
                    return
        finally:
            self._response.release()
        raise UpstreamStreamBroken(f"{provider}: stream ended without response.completed", provider=provider)

    async def aclose(self) -> None:
        self._response.close()
