"""The small RESP client: parsing, URLs, pipelining, cancellation, timeouts, AUTH and SELECT."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
from redis.asyncio import Redis

from support.redis import RedisServer, start_redis
from trueport.errors import ConfigError
from trueport.state.resp import Address, Connection, ReplyError, RespClient, encode, parse_url


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


def test_encode() -> None:
    assert encode(["SET", "k", b"\x00v", 5]) == b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\x00v\r\n$1\r\n5\r\n"


async def test_replies_split_anywhere_are_parsed() -> None:
    connection = Connection(timeout_s=5)
    received: list[object] = []
    connection.on_push = received.append
    data = b"+OK\r\n:-42\r\n$5\r\nhe\r\nl\r\n$-1\r\n*3\r\n:1\r\n*0\r\n$0\r\n\r\n*-1\r\n"
    for i in range(len(data)):  # one byte at a time
        connection.data_received(data[i : i + 1])
    assert received == [b"OK", -42, b"he\r\nl", None, [1, [], b""], None]


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("redis://localhost", Address(host="localhost")),
        ("redis://:s3cret@cache:6380/2", Address(host="cache", port=6380, password="s3cret", db=2)),
        ("redis://app:p%40ss@cache/0?db=3", Address(host="cache", username="app", password="p@ss", db=3)),
        ("rediss://cache:6390", Address(host="cache", port=6390, tls=True)),
        ("unix:///run/redis.sock?db=1", Address(path="/run/redis.sock", db=1)),
    ],
)
def test_parse_url(url: str, address: Address) -> None:
    assert parse_url(url) == address


@pytest.mark.parametrize("url", ["http://cache", "redis://cache/x"])
def test_parse_url_refuses_what_it_cannot_use(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_url(url)


async def test_concurrent_calls_share_one_connection_in_order(redis_url: str) -> None:
    client = RespClient(parse_url(redis_url), timeout_s=1)
    try:
        replies = await asyncio.gather(*(client.execute("INCR", "n") for _ in range(500)))
        assert sorted(replies) == list(range(1, 501))  # type: ignore[type-var]
        assert replies == list(range(1, 501))  # written in order, answered in order
        assert await client.pipeline([["SET", "a", "1"], ["GET", "a"]]) == [b"OK", b"1"]
        with pytest.raises(ReplyError) as error:
            await client.execute("INCR", "a", "extra")
        assert error.value.code == "ERR"
        assert await client.execute("GET", "a") == b"1"  # still in step after an error
    finally:
        await client.close()


async def test_a_cancelled_call_does_not_shift_the_replies(redis_url: str) -> None:
    client = RespClient(parse_url(redis_url), timeout_s=1)
    try:
        await client.execute("SET", "x", "1")
        slow = asyncio.ensure_future(client.execute("GET", "x"))
        slow.cancel()
        assert await client.execute("SET", "y", "2") == b"OK"
        assert await client.execute("GET", "y") == b"2"
    finally:
        await client.close()


async def test_a_silent_redis_fails_every_pending_call_after_the_timeout(own_redis: RedisServer) -> None:
    client = RespClient(parse_url(own_redis.url), timeout_s=0.1)
    admin = Redis.from_url(own_redis.url)
    try:
        await client.execute("PING")
        # Paused well beyond the 1 s of traffic: on a loaded machine a call issued late in that second
        # may have its deadline checked a second later, and must still find Redis silent.
        await admin.execute_command("CLIENT", "PAUSE", 4000, "ALL")
        started = time.monotonic()
        failed_at: list[float] = []

        async def call() -> None:
            try:
                await client.execute("INCR", "n")
            except TimeoutError:
                failed_at.append(time.monotonic() - started)

        calls = []
        while time.monotonic() - started < 1.0:  # a call every loop turn must not delay the verdict
            calls.append(asyncio.ensure_future(call()))
            await asyncio.sleep(0)
        await asyncio.gather(*calls)
        assert len(failed_at) == len(calls)
        assert min(failed_at) < 0.7  # 0.1 s, plus room for a loaded machine; not after the traffic
        await asyncio.sleep(max(0.0, started + 4.2 - time.monotonic()))
        assert await client.execute("PING") == b"PONG"  # a new connection once Redis answers
    finally:
        await admin.aclose()
        await client.close()


async def test_password_and_database(own_redis: RedisServer) -> None:
    admin = Redis.from_url(own_redis.url)
    try:
        await admin.config_set("requirepass", "s3cret")
        url = f"redis://:s3cret@127.0.0.1:{own_redis.port}/2"
        client = RespClient(parse_url(url), timeout_s=1)
        await client.execute("SET", "in-db-2", "yes")
        await client.close()
        wrong = RespClient(parse_url(f"redis://:nope@127.0.0.1:{own_redis.port}/0"), timeout_s=1)
        with pytest.raises(ReplyError):
            await wrong.execute("PING")
        await wrong.close()
    finally:
        await admin.aclose()
    db2 = Redis.from_url(f"redis://:s3cret@127.0.0.1:{own_redis.port}/2")
    try:
        assert await db2.get("in-db-2") == b"yes"
    finally:
        await db2.aclose()


async def test_connection_refused_is_a_connection_error(own_redis: RedisServer) -> None:
    own_redis.kill()
    client = RespClient(parse_url(own_redis.url), timeout_s=0.5)
    try:
        results = await asyncio.gather(*(client.execute("PING") for _ in range(20)), return_exceptions=True)
        assert all(isinstance(r, ConnectionError) for r in results)
    finally:
        await client.close()


def _loops() -> list[object]:
    uvloop = pytest.importorskip("uvloop")  # uvicorn[standard] brings it; servers run on it
    return [
        pytest.param(asyncio.new_event_loop, id="asyncio"),
        pytest.param(uvloop.new_event_loop, id="uvloop"),
    ]


@pytest.mark.parametrize("loop_factory", _loops())
def test_on_each_event_loop_a_reply_that_waited_behind_a_blocked_loop_is_not_late(
    redis_url: str, loop_factory: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    """uvloop runs timers before reading sockets: the deadline must not beat a reply already there."""

    async def scenario() -> None:
        client = RespClient(parse_url(redis_url), timeout_s=0.1)
        try:
            assert await asyncio.gather(*(client.execute("INCR", "n") for _ in range(50))) == list(
                range(1, 51)
            )
            call = asyncio.ensure_future(client.execute("INCR", "n"))
            await asyncio.sleep(0)  # the command is written
            time.sleep(
                0.3
            )  # a CPU-bound step holds the loop past the deadline; the reply waits in the socket
            assert await call == 51
        finally:
            await client.close()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(scenario())
