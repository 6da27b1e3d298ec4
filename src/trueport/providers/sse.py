"""Reading server-sent events from an upstream response, as (event, data) pairs, within a size bound."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

from trueport.errors import UpstreamStreamBroken

DEFAULT_MAX_EVENT_BYTES = 32 * 1024 * 1024


async def _lines(response: aiohttp.ClientResponse, provider: str, max_bytes: int) -> AsyncIterator[bytes]:
    """The body's lines (without their ending), none longer than ``max_bytes``.

    Split here rather than with ``StreamReader.readline``, whose own limit raises ``LineTooLong`` (an
    aiohttp error the caller would see as a broken connection) and which would buffer any line whole.
    """
    pending = bytearray()
    async for chunk in response.content.iter_any():
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            if len(pending) + end - start > max_bytes:
                raise _too_long(provider, max_bytes)
            pending += chunk[start:end]
            yield bytes(pending).removesuffix(b"\r")
            pending.clear()
            start = end + 1
        pending += chunk[start:]
        if len(pending) > max_bytes:
            raise _too_long(provider, max_bytes)
    if pending:
        yield bytes(pending).removesuffix(b"\r")


def _too_long(provider: str, max_bytes: int) -> UpstreamStreamBroken:
    return UpstreamStreamBroken(
        f"{provider}: stream line or event over {max_bytes} bytes", provider=provider, malformed=True
    )


async def iter_sse(
    response: aiohttp.ClientResponse, provider: str, max_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> AsyncIterator[tuple[str, bytes]]:
    """Yield ``(event, data)`` for each event; ``event`` is "" when the stream names none.

    No line and no event's data may exceed ``max_bytes`` (``providers.<name>.max_response_bytes``):
    a larger one raises ``UpstreamStreamBroken`` and the caller closes the connection. A timeout or a
    broken connection while reading raises ``UpstreamStreamBroken`` too. The caller decides what a
    clean end of the body means (e.g. a missing ``[DONE]``).
    """
    event = ""
    data: list[bytes] = []
    size = 0
    try:
        async for line in _lines(response, provider, max_bytes):
            if not line:
                if data:
                    yield event, b"\n".join(data)
                event, data, size = "", [], 0
                continue
            if line.startswith(b":"):
                continue
            field, _, value = line.partition(b":")
            if value.startswith(b" "):
                value = value[1:]
            if field == b"data":
                size += len(value) + 1
                if size > max_bytes:
                    raise _too_long(provider, max_bytes)
                data.append(value)
            elif field == b"event":
                event = value.decode("utf-8", "replace")
        if data:
            yield event, b"\n".join(data)
    except TimeoutError as exc:
        raise UpstreamStreamBroken(f"{provider}: stream stalled", provider=provider) from exc
    except aiohttp.ClientError as exc:
        raise UpstreamStreamBroken(
            f"{provider}: stream broken ({type(exc).__name__})", provider=provider
        ) from exc
