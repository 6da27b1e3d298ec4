"""The Redis Streams bus: one stream per topic, consumer groups, claims of stuck messages.

Publishing appends with ``XADD ... MAXLEN ~ max_len`` (trimming is approximate, so cheap); members
of a group read with ``XREADGROUP`` (each message to one of them), acknowledge with ``XACK``, and
take over what a dead member left pending with ``XAUTOCLAIM``. A group created with ``$`` sees the
messages added after it was created. A group that vanished (``NOGROUP``: Redis restarted empty, the
stream was deleted) is created again, from ``0``, by the next read.

The publisher uses one shared connection (the project's RESP client). Each consumer has its own
connection: a blocking ``XREADGROUP`` holds its connection until it answers, and must not hold up
anybody else's commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import structlog

from trueport.events.bus import Delivered, Forwarder
from trueport.events.event import Event
from trueport.jsonutil import JSONDecodeError
from trueport.state.resp import Address, Arg, Reply, ReplyError, RespClient, parse_url

log = structlog.get_logger(__name__)

STREAM_PREFIX = "trueport:events:"
_MAX_BLOCK_S = 5.0


def stream_key(topic: str) -> str:
    return STREAM_PREFIX + topic


class StreamsBus(Forwarder):
    def __init__(
        self, address: Address, *, timeout_s: float, max_len: int = 100_000, max_buffered: int = 10_000
    ):
        super().__init__(max_buffered)
        self._address = address
        self._timeout_s = timeout_s
        self._max_len = max_len
        self._client = RespClient(address, timeout_s)

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float, max_len: int = 100_000) -> StreamsBus:
        return cls(parse_url(url), timeout_s=timeout_s, max_len=max_len)

    async def send(self, batch: list[Event]) -> None:
        await self._client.pipeline(
            [
                ["XADD", stream_key(event.topic), "MAXLEN", "~", self._max_len, "*", "event", event.encode()]
                for event in batch
            ]
        )

    def consumer(self, topics: Sequence[str], group: str, name: str) -> StreamsConsumer:
        client = RespClient(self._address, self._timeout_s + _MAX_BLOCK_S)
        return StreamsConsumer(client, list(topics), group, name)

    async def close(self) -> None:
        await super().close()
        await self._client.close()


class StreamsConsumer:
    def __init__(self, client: RespClient, topics: list[str], group: str, name: str):
        self._client = client
        self._topics = topics
        self._grouped = False
        self._regroup = False  # a group vanished (Redis restarted empty): recreate it from the start
        self.group = group
        self.name = name

    async def read(self, count: int = 100, block_s: float = 1.0) -> list[Delivered]:
        await self._ensure_groups()
        keys = [stream_key(topic) for topic in self._topics]
        command: list[Arg] = ["XREADGROUP", "GROUP", self.group, self.name, "COUNT", count]
        if block_s > 0:
            command += ["BLOCK", max(1, int(min(block_s, _MAX_BLOCK_S) * 1000))]
        try:
            reply = await self._client.execute(*command, "STREAMS", *keys, *([">"] * len(keys)))
        except ReplyError as exc:
            if exc.code != "NOGROUP":
                raise
            self._lost_group()
            return []
        delivered: list[Delivered] = []
        for stream in cast("list[list[Reply]]", reply or []):
            topic = cast("bytes", stream[0]).decode().removeprefix(STREAM_PREFIX)
            delivered += await self._decode(topic, cast("list[Reply]", stream[1]))
        return delivered

    async def ack(self, delivered: Sequence[Delivered]) -> None:
        by_topic: dict[str, list[str]] = {}
        for item in delivered:
            by_topic.setdefault(item.event.topic, []).append(item.message_id)
        if by_topic:
            await self._client.pipeline(
                [["XACK", stream_key(topic), self.group, *ids] for topic, ids in by_topic.items()]
            )

    async def claim(self, min_idle_s: float, count: int = 100) -> list[Delivered]:
        await self._ensure_groups()
        claimed: list[Delivered] = []
        for topic in self._topics:
            try:
                reply = await self._client.execute(
                    "XAUTOCLAIM", stream_key(topic), self.group, self.name, int(min_idle_s * 1000), "0-0",
                    "COUNT", count,
                )  # fmt: skip
            except ReplyError as exc:
                if exc.code != "NOGROUP":
                    raise
                self._lost_group()  # nothing of it is pending any more: the next read recreates it
                continue
            claimed += await self._decode(topic, cast("list[Reply]", cast("list[Reply]", reply)[1]))
        return claimed

    async def close(self) -> None:
        await self._client.close()

    def _lost_group(self) -> None:
        """A stream or its group is gone (deleted, or Redis restarted empty): create it again."""
        if self._grouped:
            log.warning("consumer_group_lost", group=self.group)
        self._grouped = False
        self._regroup = True

    async def _ensure_groups(self) -> None:
        """Create the group on every topic's stream (``BUSYGROUP``: it exists). The first time from ``$``
        (what is published from now on); after a group was lost from ``0``, since everything in a stream
        that had to be created again was published after the loss and is not delivered yet."""
        if self._grouped:
            return
        start = "0" if self._regroup else "$"
        for topic in self._topics:
            try:
                await self._client.execute(
                    "XGROUP", "CREATE", stream_key(topic), self.group, start, "MKSTREAM"
                )
            except ReplyError as exc:
                if exc.code != "BUSYGROUP":
                    raise
        self._grouped = True
        self._regroup = False

    async def _decode(self, topic: str, entries: list[Reply]) -> list[Delivered]:
        """The events among ``entries``; an entry that is not one is acknowledged and skipped."""
        delivered: list[Delivered] = []
        unreadable: list[Arg] = []
        for entry in cast("list[list[Reply]]", entries):
            message_id = cast("bytes", entry[0]).decode()
            fields = cast("list[bytes] | None", entry[1])
            try:
                if not fields or fields[0] != b"event":
                    raise ValueError("no event field")
                delivered.append(Delivered(message_id, Event.decode(fields[1])))
            except (ValueError, KeyError, JSONDecodeError):
                log.error("event_unreadable", message_id=message_id, group=self.group)
                unreadable.append(message_id)
        if unreadable:
            await self._client.execute("XACK", stream_key(topic), self.group, *unreadable)
        return delivered
