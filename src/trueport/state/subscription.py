"""A subscription as a queue of messages that its sources (the in-process bus, a Redis connection) fill."""

from __future__ import annotations

import asyncio
from types import TracebackType

from trueport.state.protocols import Message

MAX_PENDING = 10_000


class QueueSubscription:
    """Base of every backend's subscription: ``_open`` and ``_close`` attach and detach the sources.

    A consumer that falls ``MAX_PENDING`` messages behind loses them and gets one ``resync`` message
    per channel instead, as after a broken connection.
    """

    def __init__(self, channels: tuple[str, ...]):
        if not channels:
            raise ValueError("subscribe to at least one channel")
        self.channels = channels
        self._queue: asyncio.Queue[Message] = asyncio.Queue()

    async def __aenter__(self) -> QueueSubscription:
        await self._open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._close()

    def __aiter__(self) -> QueueSubscription:
        return self

    async def __anext__(self) -> Message:
        return await self._queue.get()

    def deliver(self, message: Message) -> None:
        if self._queue.qsize() >= MAX_PENDING:
            self.resync()
            return
        self._queue.put_nowait(message)

    def resync(self) -> None:
        """Tell the consumer that messages may have been lost (pending ones are dropped)."""
        while not self._queue.empty():
            self._queue.get_nowait()
        for channel in self.channels:
            self._queue.put_nowait(Message(channel, b"", resync=True))

    async def _open(self) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError
