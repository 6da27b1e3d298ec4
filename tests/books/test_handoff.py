"""The hand-off: waiters share one write; a Redis outage falls back to the local spool, then forwards."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from trueport.books.handoff import STREAM_KEY, SpoolHandoff, StreamHandoff
from trueport.books.sources import SpoolSource, StreamSource
from trueport.books.spool import SUFFIX
from trueport.state.resp import RespClient, parse_url


async def test_many_waiters_share_one_fsync_and_nothing_waits_for_the_timer(tmp_path: Path) -> None:
    handoff = SpoolHandoff(tmp_path, flush_interval_s=10.0)
    await handoff.start()
    handoff.submit(b"not waited for")
    await asyncio.wait_for(asyncio.gather(*(handoff.durable(f"call {i}".encode()) for i in range(50))), 5)
    assert handoff.written == 51 and handoff.pending == 0
    await handoff.stop()
    (spooled,) = tmp_path.glob(f"*{SUFFIX}")
    assert spooled.read_bytes().count(b"\n") == 51


async def test_a_waiter_cancelled_meanwhile_still_has_its_line_written(tmp_path: Path) -> None:
    handoff = SpoolHandoff(tmp_path, flush_interval_s=10.0)
    await handoff.start()
    gone = asyncio.ensure_future(handoff.durable(b"call of a client that went away"))
    stays = asyncio.ensure_future(handoff.durable(b"call answered"))
    await asyncio.sleep(0)  # both queued
    gone.cancel()
    await asyncio.wait_for(stays, 5)
    with pytest.raises(asyncio.CancelledError):
        await gone
    await handoff.stop()
    assert handoff.written == 2 and handoff.pending == 0
    (spooled,) = tmp_path.glob(f"*{SUFFIX}")
    assert spooled.read_bytes().splitlines() == [b"call of a client that went away", b"call answered"]


async def test_what_is_queued_at_stop_is_written(tmp_path: Path) -> None:
    handoff = SpoolHandoff(tmp_path, flush_interval_s=10.0)
    await handoff.start()
    for i in range(10):
        handoff.submit(f"call {i}".encode())
    await handoff.stop()
    source = SpoolSource(tmp_path)
    chunk = await source.read(100, 1.0)
    assert chunk is not None and len(chunk.lines) == 10
    await source.close()


async def test_a_failing_disk_keeps_the_group_queued_and_the_waiter_waiting(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the spool directory should be")
    handoff = SpoolHandoff(blocked, flush_interval_s=0.01)
    await handoff.start()
    waiter = asyncio.ensure_future(handoff.durable(b"call"))
    await asyncio.sleep(0.3)
    assert not waiter.done() and handoff.failures > 0 and handoff.pending == 1
    assert handoff.health(0.1) is not None
    blocked.unlink()
    await asyncio.wait_for(waiter, 5)
    assert handoff.pending == 0
    await handoff.stop()


async def test_lines_go_to_the_stream_and_a_recorder_reads_and_deletes_them(
    redis_url: str, tmp_path: Path
) -> None:
    address = parse_url(redis_url)
    client = RespClient(address, 2.0)
    await client.execute("DEL", STREAM_KEY)
    handoff = StreamHandoff(address, tmp_path, timeout_s=1.0)
    await handoff.start()
    await asyncio.gather(*(handoff.durable(f"call {i}".encode()) for i in range(20)))
    source = StreamSource(address, timeout_s=1.0, member="test-recorder")
    lines: list[bytes] = []
    while (chunk := await source.read(7, 0.1)) is not None:
        lines += chunk.lines
        await source.ack(chunk)
    assert sorted(lines) == sorted(f"call {i}".encode() for i in range(20))
    assert await client.execute("XLEN", STREAM_KEY) == 0  # acknowledged entries are deleted
    await source.close()
    await handoff.stop()
    await client.close()


async def test_an_unacknowledged_chunk_is_read_again_by_the_restarted_member(
    redis_url: str, tmp_path: Path
) -> None:
    address = parse_url(redis_url)
    client = RespClient(address, 2.0)
    await client.execute("DEL", STREAM_KEY)
    await client.execute("XADD", STREAM_KEY, "*", "c", b"kept")
    first = StreamSource(address, timeout_s=1.0, member="stable")
    chunk = await first.read(10, 0.1)
    assert chunk is not None and chunk.lines == [b"kept"]
    await first.close()  # "killed" before its ack
    again = StreamSource(address, timeout_s=1.0, member="stable")
    chunk = await again.read(10, 0.1)
    assert chunk is not None and chunk.lines == [b"kept"]
    await again.ack(chunk)
    assert await again.read(10, 0.1) is None
    await again.close()
    await client.close()


@pytest.mark.parametrize("waiters", [5])
async def test_redis_away_falls_back_to_the_spool_then_forwards(
    tmp_path: Path, redis_url: str, waiters: int
) -> None:
    dead = parse_url("redis://127.0.0.1:1")  # nothing listens there
    handoff = StreamHandoff(dead, tmp_path, timeout_s=0.2)
    await handoff.start()
    await asyncio.wait_for(asyncio.gather(*(handoff.durable(b"call %d" % i) for i in range(waiters))), 5)
    assert handoff.fell_back == waiters  # durable on the local disk instead
    await handoff.stop()
    # Redis is back (a new hand-off on the same spool): the forwarder moves them to the stream.
    address = parse_url(redis_url)
    client = RespClient(address, 2.0)
    await client.execute("DEL", STREAM_KEY)
    revived = StreamHandoff(address, tmp_path, timeout_s=1.0)
    await revived.start()
    for _ in range(100):
        if await client.execute("XLEN", STREAM_KEY) == waiters:
            break
        await asyncio.sleep(0.1)
    assert await client.execute("XLEN", STREAM_KEY) == waiters
    await revived.stop()
    assert list(tmp_path.glob(f"*{SUFFIX}")) == []
    await client.close()
