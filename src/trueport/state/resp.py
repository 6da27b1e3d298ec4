"""A small Redis client for the hot path: RESP2 over one connection that every caller shares.

Why not redis-py's asyncio client: it takes a pooled connection per concurrent call, so a burst of
N calls opens N connections (a cold burst of 100 took 0.7 s on the reference machine, far past a
100 ms timeout, and degraded the state for nothing), and one bare EVALSHA costs about 130 us of CPU
there. Here every command is written at once on the one connection and the replies are matched in
order, so concurrency pipelines by itself: a whole ``Limiter.admit`` costs about 50 us of CPU per
call with 100 in flight (90 us one at a time). It does what ``trueport.state`` needs: commands, pipelines,
SUBSCRIBE, and ``redis://``, ``rediss://`` (TLS) and ``unix://`` URLs with a user, password and db.

Timeouts: a reply must come within ``timeout_s`` of its command being written. The check runs only
after the event loop has read the socket again, so a busy loop is not taken for a slow Redis. A late
reply closes the connection and fails every call pending on it with ``TimeoutError`` (later replies
are queued behind the missing one); a lost connection fails them with ``ConnectionError``. Connecting
(TCP, TLS, AUTH, SELECT) has the same limit. The next call connects again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias, cast
from urllib.parse import parse_qs, unquote, urlsplit

from trueport.errors import ConfigError

Reply: TypeAlias = "int | bytes | list[Reply] | None"
Arg: TypeAlias = "bytes | str | int"


class ReplyError(Exception):
    """Redis answered with an error (``NOSCRIPT ...``, ``WRONGPASS ...``)."""

    @property
    def code(self) -> str:
        return str(self).split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class Address:
    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None  # a unix socket
    tls: bool = False
    username: str | None = None
    password: str | None = None
    db: int = 0


def parse_url(url: str) -> Address:
    """``redis://[[user]:password@]host[:port][/db]``, ``rediss://...``, ``unix:///path?db=N``."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"redis URL must start with redis://, rediss:// or unix://, not {parts.scheme!r}")
    query = parse_qs(parts.query)
    db_text = query.get("db", [""])[0] or (parts.path.strip("/") if parts.scheme != "unix" else "") or "0"
    try:
        db = int(db_text)
    except ValueError:
        raise ConfigError(f"redis URL has an invalid database number {db_text!r}") from None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if parts.scheme == "unix":
        return Address(path=parts.path, username=username, password=password, db=db)
    return Address(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        tls=parts.scheme == "rediss",
        username=username,
        password=password,
        db=db,
    )


def encode(args: Sequence[Arg]) -> bytes:
    chunks = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        chunks += (b"$%d\r\n" % len(data), data, b"\r\n")
    return b"".join(chunks)


class _Incomplete(Exception):
    """The buffer ends inside a reply."""


def _parse(buffer: bytearray, pos: int) -> tuple[Reply | ReplyError, int]:
    end = buffer.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind = buffer[pos]
    line = bytes(buffer[pos + 1 : end])
    pos = end + 2
    if kind == 0x3A:  # ':' integer
        return int(line), pos
    if kind == 0x24:  # '$' bulk string
        size = int(line)
        if size < 0:
            return None, pos
        if len(buffer) < pos + size + 2:
            raise _Incomplete
        return bytes(buffer[pos : pos + size]), pos + size + 2
    if kind == 0x2A:  # '*' array
        count = int(line)
        if count < 0:
            return None, pos
        items: list[Reply] = []
        error: ReplyError | None = None
        for _ in range(count):
            item, pos = _parse(buffer, pos)
            if isinstance(item, ReplyError):
                error = error or item  # only EXEC nests errors (unused here): the whole reply fails
            else:
                items.append(item)
        return (error if error is not None else items), pos
    if kind == 0x2B:  # '+' simple string
        return line, pos
    if kind == 0x2D:  # '-' error
        return ReplyError(line.decode(errors="replace")), pos
    raise ConnectionError(f"unexpected reply from redis: {bytes(buffer[pos - 2 : pos + 20])!r}")


class Connection(asyncio.Protocol):
    """One connection: commands out in order, replies matched in order, or pushed to ``on_push``."""

    def __init__(self, timeout_s: float):
        self._loop = asyncio.get_running_loop()
        self._timeout_s = timeout_s
        self._pending: deque[tuple[asyncio.Future[Reply], float]] = deque()
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.closed: asyncio.Future[None] = self._loop.create_future()
        self.on_push: Callable[[Reply], None] | None = None

    @property
    def usable(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def send(self, payload: bytes, replies: int = 1) -> list[asyncio.Future[Reply]]:
        """Write one or more packed commands; a future per expected reply."""
        transport = self._transport
        if transport is None or transport.is_closing():
            raise ConnectionError("redis connection is closed")
        transport.write(payload)
        deadline = self._loop.time() + self._timeout_s
        futures = [self._loop.create_future() for _ in range(replies)]
        # While calls are pending, one timer (or one scheduled check) watches the oldest of them.
        if replies and not self._pending and self._timer is None:
            self._timer = self._loop.call_at(deadline, self._deadline_passed)
        self._pending.extend((future, deadline) for future in futures)
        return futures

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def abort(self, error: Exception) -> None:
        self._fail(error)
        if self._transport is not None:
            self._transport.abort()

    # --- asyncio.Protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, so no isinstance check here.
        self._transport = cast("asyncio.Transport", transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        pos = 0
        try:
            while pos < len(buffer):
                reply, pos = _parse(buffer, pos)
                self._deliver(reply)
        except _Incomplete:
            pass
        except (ConnectionError, ValueError) as exc:
            self.abort(ConnectionError(f"redis protocol error: {exc}"))
            return
        del buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError("redis connection lost"))
        if not self.closed.done():
            self.closed.set_result(None)

    # --- internals ---

    def _deliver(self, reply: Reply | ReplyError) -> None:
        if self.on_push is not None and not self._pending:
            if not isinstance(reply, ReplyError):
                self.on_push(reply)
            return
        if not self._pending:
            raise ConnectionError("a reply nobody asked for")
        future, _ = self._pending.popleft()
        if future.done():
            return  # its caller gave up (cancelled): the reply still had to be read
        if isinstance(reply, ReplyError):
            future.set_exception(reply)
        else:
            future.set_result(reply)

    def _fail(self, error: Exception) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._pending:
            future, _ = self._pending.popleft()
            if not future.done():
                future.set_exception(error)

    def _deadline_passed(self) -> None:
        # Look again only after the loop has polled the socket once more (timers may run before I/O,
        # as in uvloop): a reply that is already there must not count as late.
        self._timer = None
        self._loop.call_soon(self._loop.call_soon, self._check_late)

    def _check_late(self) -> None:
        if self._timer is not None or not self._pending:
            return  # a newer timer watches a newer oldest call, or nothing is pending
        deadline = self._pending[0][1]
        if deadline <= self._loop.time():
            self.abort(TimeoutError(f"redis did not answer within {self._timeout_s * 1000:.0f} ms"))
        else:
            self._timer = self._loop.call_at(deadline, self._deadline_passed)


class RespClient:
    """Commands on one shared connection (opened on first use, and again after it is lost)."""

    def __init__(self, address: Address, timeout_s: float):
        self.address = address
        self.timeout_s = timeout_s
        self._connection: Connection | None = None
        self._connecting: asyncio.Future[Connection] | None = None

    async def execute(self, *args: Arg) -> Reply:
        connection = self._connection
        if connection is None or not connection.usable:
            connection = await self._reconnect()
        (future,) = connection.send(encode(args))
        return await future

    async def pipeline(self, commands: Sequence[Sequence[Arg]]) -> list[Reply]:
        """Several commands in one write; raises the first error after every reply is in."""
        connection = self._connection
        if connection is None or not connection.usable:
            connection = await self._reconnect()
        futures = connection.send(b"".join(encode(command) for command in commands), len(commands))
        replies = await asyncio.gather(*futures, return_exceptions=True)
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
        return replies  # type: ignore[return-value]  # no exceptions left in it

    async def connect(self, on_push: Callable[[Reply], None] | None = None) -> Connection:
        """A new connection of its own (subscriptions), authenticated and on the right db."""
        loop = asyncio.get_running_loop()
        address = self.address
        connection: Connection | None = None
        try:
            async with asyncio.timeout(self.timeout_s):
                if address.path is not None:
                    _, connection = await loop.create_unix_connection(
                        lambda: Connection(self.timeout_s), address.path
                    )
                else:
                    context = ssl.create_default_context() if address.tls else None
                    _, connection = await loop.create_connection(
                        lambda: Connection(self.timeout_s), address.host, address.port, ssl=context
                    )
                handshake: list[list[Arg]] = []
                if address.password is not None:
                    credentials = (
                        [address.username, address.password] if address.username else [address.password]
                    )
                    handshake.append(["AUTH", *credentials])
                if address.db:
                    handshake.append(["SELECT", address.db])
                if handshake:
                    futures = connection.send(b"".join(encode(c) for c in handshake), len(handshake))
                    for reply in await asyncio.gather(*futures, return_exceptions=True):
                        if isinstance(reply, BaseException):
                            raise reply
        except BaseException:
            if connection is not None:
                connection.abort(ConnectionError("redis connection setup failed"))
            raise
        connection.on_push = on_push
        return connection

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.wait([self._connecting])
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await connection.closed

    async def _reconnect(self) -> Connection:
        # One attempt at a time, shared by every caller that needs it: when Redis does not answer,
        # a burst of calls waits for one connect timeout together, not for one each in turn.
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect_shared())
            self._connecting.add_done_callback(_retrieve)
        return await asyncio.shield(self._connecting)

    async def _connect_shared(self) -> Connection:
        try:
            self._connection = await self.connect()
            return self._connection
        finally:
            self._connecting = None


def _retrieve(future: asyncio.Future[Connection]) -> None:
    if not future.cancelled():
        future.exception()  # seen by the callers; this only keeps asyncio from reporting it again
