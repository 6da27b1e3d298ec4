"""The Redis backend: state shared by every replica, with the memory backend as the local fallback.

Every operation is one command or one Lua script (``scripts``), so one round trip, bounded by
``redis_timeout_ms`` (``resp``: the client never retries by itself; a retry would only stretch the
timeout). Failures are handled in ``link`` and ``fallback``: callers never see a Redis exception.

The parts here raise on failure; ``RedisState`` wraps them. One Redis server, or a primary behind a
proxy; a limiter's keys for one request are in one script, so Redis Cluster would need them in one
hash slot (not supported).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from typing import cast

import structlog

from trueport.state import scripts
from trueport.state.fallback import FallbackCells, FallbackCounters, FallbackKeyValue
from trueport.state.link import FAILURES, Link, Unavailable
from trueport.state.memory import MemoryPubSub, MemoryState
from trueport.state.protocols import Cell, CellState, Message, Paced, Reserved, Window
from trueport.state.resp import Arg, Connection, Reply, RespClient, encode, parse_url
from trueport.state.subscription import QueueSubscription

log = structlog.get_logger(__name__)

_RESERVE = scripts.LuaScript(scripts.RESERVE)
_ADD = scripts.LuaScript(scripts.ADD)
_GCRA_ACQUIRE = scripts.LuaScript(scripts.GCRA_ACQUIRE)
_GCRA_ADJUST = scripts.LuaScript(scripts.GCRA_ADJUST)


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _ints(reply: Reply) -> list[int]:
    return cast("list[int]", reply)


class RedisCounters:
    def __init__(self, client: RespClient):
        self._client = client

    async def reserve(self, windows: Sequence[Window], amount: int, ttl_s: float) -> Reserved:
        keys = [window.key for window in windows]
        limits = [window.limit for window in windows]
        reply = _ints(await _RESERVE(self._client, keys, [amount, _ms(ttl_s), *limits]))
        refused = reply[0] - 1 if reply[0] else None
        return Reserved(refused, tuple(reply[1:]), tuple(limits))

    async def add(self, keys: Sequence[str], delta: int, ttl_s: float) -> tuple[int, ...]:
        if delta == 0:
            return tuple([await self.get(key) for key in keys])
        return tuple(_ints(await _ADD(self._client, keys, [delta, _ms(ttl_s)])))

    async def get(self, key: str) -> int:
        value = await self._client.execute("GET", key)
        return int(cast("bytes", value)) if value is not None else 0


class RedisCells:
    def __init__(self, client: RespClient):
        self._client = client

    async def acquire(self, cells: Sequence[Cell], cost: int, now: float) -> Paced:
        args: list[Arg] = [repr(now * 1000), cost]
        for cell in cells:
            args += [repr(cell.interval_s * 1000), cell.burst]
        reply = _ints(await _GCRA_ACQUIRE(self._client, [cell.key for cell in cells], args))
        states = tuple(
            CellState(reply[i], reply[i + 1] / 1000, reply[i + 2] / 1000) for i in range(1, len(reply), 3)
        )
        return Paced(reply[0] - 1 if reply[0] else None, states, tuple(cell.limit for cell in cells))

    async def adjust(self, cells: Sequence[Cell], delta: int, now: float) -> None:
        if delta == 0:
            return
        args: list[Arg] = [repr(now * 1000), delta]
        args += [repr(cell.interval_s * 1000) for cell in cells]
        await _GCRA_ADJUST(self._client, [cell.key for cell in cells], args)


class RedisKeyValue:
    def __init__(self, client: RespClient):
        self._client = client

    async def get(self, key: str) -> bytes | None:
        return cast("bytes | None", await self._client.execute("GET", key))

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        await self._client.execute("SET", key, value, "PX", _ms(ttl_s))

    async def set_if_absent(self, key: str, value: bytes, ttl_s: float) -> bool:
        return await self._client.execute("SET", key, value, "PX", _ms(ttl_s), "NX") is not None

    async def delete(self, key: str) -> None:
        await self._client.execute("DEL", key)


class RedisPubSub:
    """PUBLISH/SUBSCRIBE; while Redis is unavailable, messages go to this process's subscribers only."""

    def __init__(self, link: Link, local: MemoryPubSub):
        self._link = link
        self._local = local

    async def publish(self, channel: str, data: bytes) -> None:
        try:
            await self._link.run(lambda: self._link.client.execute("PUBLISH", channel, data))
        except Unavailable:
            self._local.publish_now(channel, data)

    def subscribe(self, *channels: str) -> RedisSubscription:
        return RedisSubscription(self._link, self._local, channels)


class RedisSubscription(QueueSubscription):
    """Reads a dedicated Redis connection in a task; reconnects (every probe interval) when it breaks,
    then emits ``resync`` messages. Also receives what this process publishes while Redis is away.

    A connection that goes silent without closing is noticed by TCP keepalive only.
    """

    def __init__(self, link: Link, local: MemoryPubSub, channels: tuple[str, ...]):
        super().__init__(channels)
        self._link = link
        self._local = local
        self._subscribed = asyncio.Event()
        self._all_confirmed = asyncio.Event()
        self._confirmed = 0
        self._task: asyncio.Task[None] | None = None

    async def _open(self) -> None:
        self._local.attach(self)
        self._task = asyncio.create_task(self._read_forever(), name="state-redis-subscription")
        # Wait (briefly) for the first SUBSCRIBE to be confirmed, so a message published next is seen.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._subscribe_timeout_s):
                await self._subscribed.wait()

    async def _close(self) -> None:
        self._local.detach(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def _subscribe_timeout_s(self) -> float:
        return max(4 * self._link.timeout_s, 0.2)

    async def _read_forever(self) -> None:
        lost = False
        while True:
            connection: Connection | None = None
            try:
                connection = await self._link.client.connect(on_push=self._on_push)
                self._confirmed = 0
                connection.send(encode(["SUBSCRIBE", *self.channels]), replies=0)
                async with asyncio.timeout(self._subscribe_timeout_s):
                    await self._all_confirmed.wait()
                self._subscribed.set()
                if lost:
                    log.info("state_subscription_restored", channels=list(self.channels))
                    self.resync()
                    lost = False
                await connection.closed
                raise ConnectionError("redis subscription connection closed")
            except FAILURES as exc:
                if not lost:
                    log.warning(
                        "state_subscription_lost", channels=list(self.channels), error=type(exc).__name__
                    )
                    lost = True
            finally:
                self._all_confirmed.clear()
                if connection is not None:
                    connection.close()
            await asyncio.sleep(self._link.probe_interval_s)

    def _on_push(self, reply: Reply) -> None:
        if not isinstance(reply, list) or len(reply) < 3:
            return
        kind, channel, data = reply[0], reply[1], reply[2]
        if kind == b"message" and isinstance(channel, bytes) and isinstance(data, bytes):
            self.deliver(Message(channel.decode(errors="replace"), data))
        elif kind == b"subscribe":
            self._confirmed += 1
            if self._confirmed >= len(self.channels):
                self._all_confirmed.set()


class RedisState:
    """Shared state in Redis, served locally (with limits at ``local_share``) while Redis is away."""

    shared = True

    def __init__(self, client: RespClient, local_share: float, probe_interval_s: float = 1.0):
        self._client = client
        self._link = Link(client, client.timeout_s, probe_interval_s)
        self._local = MemoryState(wall=self._link.clock.now)
        self.counters = FallbackCounters(self._link, RedisCounters(client), self._local.counters, local_share)
        self.cells = FallbackCells(self._link, RedisCells(client), self._local.cells, local_share)
        self.kv = FallbackKeyValue(self._link, RedisKeyValue(client), self._local.kv)
        self.pubsub = RedisPubSub(self._link, self._local.pubsub)

    @property
    def degraded(self) -> bool:
        return self._link.degraded

    @property
    def fallbacks(self) -> int:
        return self._link.fallbacks

    def now(self) -> float:
        return self._link.clock.now()

    async def start(self) -> None:
        await self._link.start()

    async def probe(self) -> bool:
        """Check Redis now (the background probe does this every probe interval)."""
        return await self._link.probe()

    async def close(self) -> None:
        await self._link.stop()
        await self._client.close()


async def open_redis_state(
    url: str, *, timeout_s: float, local_share: float, probe_interval_s: float = 1.0
) -> RedisState:
    """Connect (an unreachable Redis gives a degraded state, not an error) and start probing."""
    state = RedisState(RespClient(parse_url(url), timeout_s), local_share, probe_interval_s)
    await state.start()
    return state
