"""Streams: opening one so failover still works, and noticing a client that went away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import structlog

from trueport.errors import UpstreamMalformed, UpstreamStreamBroken, UpstreamUnavailable
from trueport.gateway.asgi import Receive
from trueport.gateway.call import Call
from trueport.providers.base import Usage

log = structlog.get_logger(__name__)

C = TypeVar("C")
C_co = TypeVar("C_co", covariant=True)


class UsageStream(Protocol[C_co]):
    """An upstream stream: iterated for its items, ``usage`` final at the end, closable."""

    @property
    def usage(self) -> Usage: ...

    def __aiter__(self) -> AsyncIterator[C_co]: ...

    async def aclose(self) -> None: ...


@dataclass(slots=True)
class OpenedStream(Generic[C]):
    stream: UsageStream[C]
    chunks: AsyncIterator[C]
    first: C


async def open_stream(opening: Awaitable[UsageStream[C]]) -> OpenedStream[C]:
    """Open a stream and read its first item, so that a failure up to then can still fail over."""
    stream = await opening
    chunks = aiter(stream)
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        await stream.aclose()
        raise UpstreamUnavailable("stream ended before its first chunk") from None
    except UpstreamStreamBroken as exc:
        await stream.aclose()
        if exc.malformed:  # fetching it again would bring the same: no retry on this target
            raise UpstreamMalformed(exc.message, provider=exc.provider) from exc
        raise UpstreamUnavailable(exc.message, provider=exc.provider) from exc
    return OpenedStream(stream, chunks, first)


def stream_broken_message(call: Call, error: UpstreamStreamBroken) -> str:
    """The terminal error event's text: logged in full, told to the client without upstream details."""
    log.info("upstream_stream_broken", error=error.error_class, detail=error.message[:500])
    return f"the answer of model {call.record.alias or ''!r} {error.public}"


class DisconnectWatch:
    """Watches ``receive`` (after the body was read) for the client going away mid-stream."""

    def __init__(self, receive: Receive):
        self.gone = False
        self._task = asyncio.create_task(self._watch(receive))

    async def _watch(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                return

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
