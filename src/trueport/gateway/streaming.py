"""Streams: opening one so failover still works, and noticing a client that went away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from trueport.errors import UpstreamStreamBroken, UpstreamUnavailable
from trueport.gateway.asgi import Receive
from trueport.providers.base import Usage

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
        raise UpstreamUnavailable(exc.message, provider=exc.provider) from exc
    return OpenedStream(stream, chunks, first)


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
