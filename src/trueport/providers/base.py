"""What every provider adapter implements, and the values they exchange with the gateway.

The canonical request is an OpenAI chat-completions body (a dict). An adapter translates it to its
provider's wire format, calls the provider through the one shared aiohttp session, and translates the
answer back: a ``ChatCompletion`` (an OpenAI ``chat.completion`` object) or a ``ChatStream`` of
OpenAI ``chat.completion.chunk`` objects. Adapters know nothing of keys, tenants, limits, retries or
failover: those are the gateway's and the wrappers' business.

Failover contract: ``chat``/``chat_stream``/``embeddings`` raise ``UpstreamError`` subclasses for
every failure *before* an answer starts. ``chat_stream`` returns only once the provider has accepted
the request (2xx headers); a failure while iterating raises ``UpstreamStreamBroken``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar, Protocol

import aiohttp

from trueport.jsonutil import JSONObject
from trueport.settings import ProviderConfig


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # part of prompt_tokens served from the provider's prompt cache
    # The upstream's numbers were unusable (negative, huge, not integers: ``trueport.usage.upstream``);
    # the counts are 0 here and the call's record takes the gateway's own estimate instead.
    invalid: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(slots=True)
class ChatCompletion:
    body: JSONObject  # canonical OpenAI chat.completion object
    usage: Usage
    raw: bytes | None = None  # the exact upstream bytes when they already are ``body`` in OpenAI format


@dataclass(slots=True)
class Embeddings:
    body: JSONObject  # OpenAI ``list`` of ``embedding`` objects
    usage: Usage
    raw: bytes | None = None


class ChatStream(Protocol):
    """An open upstream stream, iterated as canonical chunk dicts.

    ``usage`` is final once iteration ends. ``aclose`` releases the connection and is safe to call
    twice or after a failure.
    """

    usage: Usage

    def __aiter__(self) -> AsyncIterator[JSONObject]: ...

    async def aclose(self) -> None: ...


class ProviderAdapter(Protocol):
    """One provider account, ready to call."""

    kind: ClassVar[str]
    name: str

    async def chat(self, request: JSONObject, model: str) -> ChatCompletion: ...

    async def chat_stream(self, request: JSONObject, model: str) -> ChatStream: ...

    async def embeddings(self, request: JSONObject, model: str) -> Embeddings: ...


class AdapterFactory(Protocol):
    def __call__(self, name: str, config: ProviderConfig, http: aiohttp.ClientSession) -> ProviderAdapter: ...
