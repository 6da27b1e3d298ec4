"""The Redis Streams bus: one stream per topic, consumer groups, claims of stuck messages.

Publishing appends with ``XADD ... MAXLEN ~ max_len`` (trimming is approximate, so cheap); members
of a group read with ``XREADGROUP`` (each message to one of them), acknowledge with ``XACK``, and
take over what a member left pending (it died, or its handler failed and said so with ``fail``) with
``XPENDING ... IDLE`` and ``XCLAIM``: ``XPENDING`` tells how many times each was delivered (Redis
counts every ``XREADGROUP`` and ``XCLAIM``), so one that has been delivered ``max_deliveries`` times
is parked instead of claimed: ``XADD`` to ``trueport:events:dead:<topic>`` (the payload as published,
topic, group, consumer, original id, deliveries, the last error ``fail`` stored, the time) and ``XACK``
in one ``MULTI``. A replay appends the payload to the topic's stream again with a ``group`` field: the
group that parked it handles it, the topic's other groups (which had handled it) acknowledge it unread. Two members claiming at once cannot both take (or park) a message: ``XCLAIM`` with a
minimum idle time gives it to one. An entry that is not an event is parked at once (retrying cannot
make it one). Needs Redis 6.2 or later (``XPENDING ... IDLE``). A group created with ``$`` sees the
messages added after it was created. A group that vanished (``NOGROUP``: Redis restarted empty, the
stream was deleted) is created again, from ``0``, by the next read.

The publisher uses one shared connection (the project's RESP client). Each consumer has its own
connection: a blocking ``XREADGROUP`` holds its connection until it answers, and must not hold up
anybody else's commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import structlog

from trueport import metrics
from trueport.events.bus import MAX_DELIVERIES, MAX_ERROR_CHARS, DeadLetter, Delivered, Forwarder
from trueport.events.event import Event
from trueport.jsonutil import JSONDecodeError
from trueport.state.resp import Address, Arg, Reply, ReplyError, RespClient, parse_url

log = structlog.get_logger(__name__)

STREAM_PREFIX = "trueport:events:"
DEAD_PREFIX = STREAM_PREFIX + "dead:"
ERROR_PREFIX = STREAM_PREFIX + "error:"
_MAX_BLOCK_S = 5.0
_ERROR_TTL_S = 7 * 24 * 3600  # a failure's error, kept for the dead letter it may become

# Move one dead letter back to its topic: read it, append its payload to the topic addressed to the
# group that parked it (the others acknowledge it unread), delete it; all or nothing (two replays of
# one letter publish it once).
_REPLAY = """
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #entries == 0 then return false end
local fields = entries[1][2]
local payload, group = false, false
for i = 1, #fields, 2 do
  if fields[i] == 'event' then payload = fields[i + 1] end
  if fields[i] == 'group' then group = fields[i + 1] end
end
if not payload or not group then return false end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'event', payload, 'group', group)
redis.call('XDEL', KEYS[1], ARGV[1])
return id
"""


def stream_key(topic: str) -> str:
    return STREAM_PREFIX + topic


def dead_key(topic: str) -> str:
    """The topic's dead-letter stream."""
    return DEAD_PREFIX + topic


def _error_key(topic: str, group: str, message_id: str) -> str:
    return f"{ERROR_PREFIX}{topic}:{group}:{message_id}"


@dataclass(frozen=True, slots=True)
class _Parked:
    message_id: str
    payload: bytes
    deliveries: int
    error: str | None  # None: look for what ``fail`` stored


class StreamsBus(Forwarder):
    def __init__(
        self,
        address: Address,
        *,
        timeout_s: float,
        max_len: int = 100_000,
        max_buffered: int = 10_000,
        max_deliveries: int = MAX_DELIVERIES,
    ):
        super().__init__(max_buffered)
        self._address = address
        self._timeout_s = timeout_s
        self._max_len = max_len
        self.max_deliveries = max_deliveries
        self._client = RespClient(address, timeout_s)
        self._dead_letters = StreamsDeadLetters(self._client, max_len)

    @classmethod
    def from_url(
        cls, url: str, *, timeout_s: float, max_len: int = 100_000, max_deliveries: int = MAX_DELIVERIES
    ) -> StreamsBus:
        return cls(parse_url(url), timeout_s=timeout_s, max_len=max_len, max_deliveries=max_deliveries)

    @property
    def dead_letters(self) -> StreamsDeadLetters:
        return self._dead_letters

    async def send(self, batch: list[Event]) -> None:
        await self._client.pipeline(
            [
                ["XADD", stream_key(event.topic), "MAXLEN", "~", self._max_len, "*", "event", event.encode()]
                for event in batch
            ]
        )

    def consumer(self, topics: Sequence[str], group: str, name: str) -> StreamsConsumer:
        client = RespClient(self._address, self._timeout_s + _MAX_BLOCK_S)
        return StreamsConsumer(
            client, list(topics), group, name, max_deliveries=self.max_deliveries, max_len=self._max_len
        )

    async def close(self) -> None:
        await super().close()
        await self._client.close()


class StreamsConsumer:
    def __init__(
        self,
        client: RespClient,
        topics: list[str],
        group: str,
        name: str,
        *,
        max_deliveries: int = MAX_DELIVERIES,
        max_len: int = 100_000,
    ):
        self._client = client
        self._topics = topics
        self.max_deliveries = max_deliveries
        self._max_len = max_len
        self.parked = 0
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

    async def fail(self, delivered: Sequence[Delivered], error: str) -> None:
        if delivered:
            text = error[:MAX_ERROR_CHARS]
            await self._client.pipeline(
                [
                    [
                        "SET",
                        _error_key(item.event.topic, self.group, item.message_id),
                        text,
                        "EX",
                        _ERROR_TTL_S,
                    ]
                    for item in delivered
                ]
            )

    async def claim(self, min_idle_s: float, count: int = 100) -> list[Delivered]:
        await self._ensure_groups()
        claimed: list[Delivered] = []
        idle_ms = int(min_idle_s * 1000)
        for topic in self._topics:
            key = stream_key(topic)
            try:
                pending = await self._client.execute(
                    "XPENDING", key, self.group, "IDLE", idle_ms, "-", "+", count
                )
            except ReplyError as exc:
                if exc.code != "NOGROUP":
                    raise
                self._lost_group()  # nothing of it is pending any more: the next read recreates it
                continue
            deliveries: dict[str, int] = {}
            for row in cast("list[list[Reply]]", pending or []):
                deliveries[cast("bytes", row[0]).decode()] = cast("int", row[3])
            if not deliveries:
                continue
            spent = [mid for mid, n in deliveries.items() if n >= self.max_deliveries]
            again = [mid for mid, n in deliveries.items() if n < self.max_deliveries]
            if again:
                entries = await self._xclaim(key, idle_ms, again)
                claimed += await self._decode(topic, entries, deliveries, 1)
            if spent:
                entries = await self._xclaim(key, idle_ms, spent)  # ours now: nobody else parks them
                await self._park(
                    topic,
                    [
                        _Parked(message_id, payload, deliveries[message_id], None)
                        for message_id, payload, _ in _entries(entries)
                    ],
                )
        return claimed

    async def _xclaim(self, key: str, idle_ms: int, ids: list[str]) -> list[Reply]:
        """The entries among ``ids`` still idle ``idle_ms`` (another member may have just taken some)."""
        reply = await self._client.execute("XCLAIM", key, self.group, self.name, idle_ms, *ids)
        return cast("list[Reply]", reply or [])

    async def _park(self, topic: str, letters: list[_Parked]) -> None:
        """Move ``letters`` to the topic's dead-letter stream and acknowledge them, in one transaction."""
        if not letters:
            return
        error_keys = [_error_key(topic, self.group, letter.message_id) for letter in letters]
        stored = cast("list[bytes | None]", await self._client.execute("MGET", *error_keys))
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        commands: list[list[Arg]] = [["MULTI"]]
        for letter, kept in zip(letters, stored, strict=True):
            error = letter.error or (kept.decode("utf-8", "replace") if kept else None)
            error = error or f"not acknowledged after {letter.deliveries} deliveries (no error reported)"
            commands.append(
                [
                    "XADD", dead_key(topic), "MAXLEN", "~", self._max_len, "*",
                    "event", letter.payload,
                    "topic", topic,
                    "group", self.group,
                    "consumer", self.name,
                    "message_id", letter.message_id,
                    "deliveries", letter.deliveries,
                    "error", error[:MAX_ERROR_CHARS],
                    "parked_at", now,
                ]
            )  # fmt: skip
        commands.append(["XACK", stream_key(topic), self.group, *(letter.message_id for letter in letters)])
        commands.append(["DEL", *error_keys])
        commands.append(["EXEC"])
        await self._client.pipeline(commands)
        self.parked += len(letters)
        metrics.BUS_DEAD_LETTERS.labels(topic, self.group).inc(len(letters))
        for letter in letters:
            log.warning(
                "event_parked",
                topic=topic,
                group=self.group,
                message_id=letter.message_id,
                deliveries=letter.deliveries,
            )

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

    async def _decode(
        self, topic: str, entries: list[Reply], deliveries: dict[str, int] | None = None, more: int = 0
    ) -> list[Delivered]:
        """The events among ``entries`` (``deliveries``: each one's count before this delivery, which
        adds ``more``); an entry that is not an event is parked at once."""
        delivered: list[Delivered] = []
        unreadable: list[_Parked] = []
        others: list[Arg] = []
        for message_id, payload, only in _entries(entries):
            if only is not None and only != self.group:  # a replay for the group that parked it
                others.append(message_id)
                continue
            count = deliveries.get(message_id, 0) + more if deliveries is not None else 1
            try:
                if not payload:
                    raise ValueError("no event field")
                event = Event.decode(payload)
                if event.topic != topic:
                    raise ValueError(f"an event of {event.topic!r} in the stream of {topic!r}")
                delivered.append(Delivered(message_id, event, count))
            except (ValueError, KeyError, JSONDecodeError) as exc:
                log.error("event_unreadable", message_id=message_id, group=self.group)
                unreadable.append(_Parked(message_id, payload, count, f"not an event: {exc}"))
        if others:
            await self._client.execute("XACK", stream_key(topic), self.group, *others)
        await self._park(topic, unreadable)
        return delivered


class StreamsDeadLetters:
    """The dead-letter streams, through the bus's shared connection (see the module)."""

    def __init__(self, client: RespClient, max_len: int):
        self._client = client
        self._max_len = max_len

    async def count(self, topic: str) -> int:
        return cast("int", await self._client.execute("XLEN", dead_key(topic)))

    async def list(self, topic: str, limit: int, after: str | None = None) -> tuple[list[DeadLetter], bool]:
        start = f"({after}" if after else "-"
        reply = await self._client.execute("XRANGE", dead_key(topic), start, "+", "COUNT", limit + 1)
        letters = [_letter(topic, entry) for entry in cast("list[list[Reply]]", reply or [])]
        return letters[:limit], len(letters) > limit

    async def get(self, topic: str, letter_id: str) -> DeadLetter | None:
        reply = await self._client.execute("XRANGE", dead_key(topic), letter_id, letter_id)
        entries = cast("list[list[Reply]]", reply or [])
        return _letter(topic, entries[0]) if entries else None

    async def replay(self, topic: str, letter_id: str) -> str | None:
        reply = await self._client.execute(
            "EVAL", _REPLAY, 2, dead_key(topic), stream_key(topic), letter_id, self._max_len
        )
        return cast("bytes", reply).decode() if reply is not None else None

    async def discard(self, topic: str, letter_id: str) -> bool:
        return cast("int", await self._client.execute("XDEL", dead_key(topic), letter_id)) == 1


def _entries(entries: list[Reply]) -> list[tuple[str, bytes, str | None]]:
    """``(message id, payload, group)`` of each stream entry: the ``event`` field's bytes (empty
    without one) and the ``group`` field of a replay (None: for every group)."""
    found: list[tuple[str, bytes, str | None]] = []
    for entry in cast("list[list[Reply] | None]", entries):
        if entry is None:  # trimmed away while pending (Redis 6.2 answers nil for it)
            continue
        raw = cast("list[bytes] | None", entry[1]) or []
        fields = {raw[i]: raw[i + 1] for i in range(0, len(raw) - 1, 2)}
        group = fields.get(b"group")
        found.append(
            (
                cast("bytes", entry[0]).decode(),
                fields.get(b"event", b""),
                group.decode("utf-8", "replace") if group is not None else None,
            )
        )
    return found


def _letter(topic: str, entry: list[Reply]) -> DeadLetter:
    raw = cast("list[bytes]", entry[1])
    fields = {raw[i].decode(): raw[i + 1] for i in range(0, len(raw) - 1, 2)}
    payload = fields.get("event", b"")
    try:
        event: Event | None = Event.decode(payload)
    except (ValueError, KeyError, JSONDecodeError):
        event = None

    def text(name: str) -> str:
        return fields.get(name, b"").decode("utf-8", "replace")

    try:
        parked_at = datetime.fromisoformat(text("parked_at").replace("Z", "+00:00"))
    except ValueError:
        parked_at = datetime.fromtimestamp(int(cast("bytes", entry[0]).split(b"-")[0]) / 1000, UTC)
    return DeadLetter(
        id=cast("bytes", entry[0]).decode(),
        topic=topic,
        group=text("group"),
        consumer=text("consumer"),
        message_id=text("message_id"),
        deliveries=int(text("deliveries") or 0),
        error=text("error"),
        parked_at=parked_at,
        payload=payload,
        event=event,
    )
