"""Reading server-sent events from an upstream response, as (event, data) pairs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

from trueport.errors import UpstreamStreamBroken

_MAX_LINE = 8 * 1024 * 1024


async def iter_sse(response: aiohttp.ClientResponse, provider: str) -> AsyncIterator[tuple[str, bytes]]:
    """Yield ``(event, data)`` for each event; ``event`` is "" when the stream names none.

    A timeout or a broken connection while reading raises ``UpstreamStreamBroken``. The caller
    decides what a clean end of the body means (e.g. a missing ``[DONE]``).
    """
    event = ""
    data: list[bytes] = []
    content = response.content
    try:
        while True:
            line = await content.readline()
            if not line:
                break
            if len(line) > _MAX_LINE:
                raise UpstreamStreamBroken(f"{provider}: stream line too long", provider=provider)
            line = line.rstrip(b"\r\n")
            if not line:
                if data:
                    yield event, b"\n".join(data)
                event, data = "", []
                continue
            if line.startswith(b":"):
                continue
            field, _, value = line.partition(b":")
            if value.startswith(b" "):
                value = value[1:]
            if field == b"data":
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
