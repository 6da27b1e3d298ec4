"""A local "provider" that always gives the same answer: the deterministic fallback of a model alias.

It never fails and costs nothing; answers are marked by the gateway (``x-trueport-fallback: true``)
and recorded as fallbacks.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import ClassVar

from trueport.errors import UnsupportedOperation
from trueport.jsonutil import JSONObject
from trueport.providers.base import ChatCompletion, Embeddings, Usage

FIXED_MODEL = "fixed-message"


class FixedAnswerStream:
    def __init__(self, chunks: list[JSONObject]):
        self._chunks = chunks
        self.usage = Usage()

    def __aiter__(self) -> AsyncIterator[JSONObject]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[JSONObject]:
        for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        return None


class FixedAnswerAdapter:
    kind: ClassVar[str] = "fixed"

    def __init__(self, name: str, message: str):
        self.name = name
        self._message = message

    def _envelope(self, object_type: str, model: str) -> JSONObject:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": object_type,
            "created": int(time.time()),
            "model": model,
        }

    async def chat(self, request: JSONObject, model: str) -> ChatCompletion:
        body = self._envelope("chat.completion", model)
        body["choices"] = [
            {
                "index": 0,
                "message": {"role": "assistant", "content": self._message},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ]
        body["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return ChatCompletion(body=body, usage=Usage())

    async def chat_stream(self, request: JSONObject, model: str) -> FixedAnswerStream:
        def chunk(delta: JSONObject, finish: str | None) -> JSONObject:
            body = self._envelope("chat.completion.chunk", model)
            body["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
            return body

        usage = self._envelope("chat.completion.chunk", model)
        usage["choices"] = []
        usage["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return FixedAnswerStream(
            [
                chunk({"role": "assistant", "content": self._message}, None),
                chunk({}, "stop"),
                usage,
            ]
        )

    async def embeddings(self, request: JSONObject, model: str) -> Embeddings:
        raise UnsupportedOperation("a fixed-message fallback cannot produce embeddings")
