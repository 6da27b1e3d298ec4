"""Checking that an upstream's 2xx answer has the shape the gateway relies on.

An upstream (an operator's or a tenant's own ``base_url``) may answer anything. What the gateway
reads from an answer is checked here, and an answer that does not fit, or whose translation to the
canonical format fails on a wrong type, is ``UpstreamMalformed`` (502) before its first byte reaches
the client, or ``UpstreamStreamBroken`` inside a stream: never an unhandled error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from trueport.errors import UpstreamMalformed, UpstreamStreamBroken
from trueport.jsonutil import JSONObject

# What a translation raises when a field has the wrong type or is missing.
_SHAPE_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError)


def check_chat_completion(value: JSONObject, provider: str) -> JSONObject:
    """``value`` if it is a usable ``chat.completion``: ``choices`` a list of objects with a ``message``."""
    choices = value.get("choices")
    if not isinstance(choices, list) or not all(
        isinstance(choice, dict) and isinstance(choice.get("message"), dict) for choice in choices
    ):
        raise UpstreamMalformed(f"{provider}: answer has no usable choices", provider=provider)
    return value


def check_chunk(chunk: JSONObject, provider: str) -> JSONObject:
    """``chunk`` if its ``choices`` (when present) is a list of objects."""
    choices = chunk.get("choices")
    if choices is not None and (
        not isinstance(choices, list) or not all(isinstance(choice, dict) for choice in choices)
    ):
        raise UpstreamStreamBroken(
            f"{provider}: chunk has unusable choices", provider=provider, malformed=True
        )
    return chunk


def check_embeddings(value: JSONObject, provider: str) -> JSONObject:
    """``value`` if its ``data`` is a list of objects."""
    data = value.get("data")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UpstreamMalformed(f"{provider}: answer has no usable data", provider=provider)
    return value


@contextmanager
def translating(provider: str, *, stream: bool = False) -> Iterator[None]:
    """Turn a translation's failure on an ill-typed answer into the upstream's fault."""
    try:
        yield
    except _SHAPE_ERRORS as exc:
        message = f"{provider}: answer of the wrong shape ({type(exc).__name__})"
        if stream:
            raise UpstreamStreamBroken(message, provider=provider, malformed=True) from exc
        raise UpstreamMalformed(message, provider=provider) from exc
