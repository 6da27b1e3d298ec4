"""The same behaviour from both backends: counters, GCRA cells, key/value, pub/sub, the clock."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from trueport.settings import Settings
from trueport.state import Cell, Message, State, Window, open_state
from trueport.state.memory import MemoryState

# --- windowed counters ---


async def test_reserve_adds_to_every_window_or_to_none(state: State) -> None:
    windows = [Window("w:key", 3), Window("w:tenant", 4)]
    results = [await state.counters.reserve(windows, 1, 60) for _ in range(4)]
    assert [r.refused for r in results] == [None, None, None, 0]
    assert [r.counts for r in results] == [(1, 1), (2, 2), (3, 3), (3, 3)]
    assert results[0].limits == (3, 4)
    # The tenant's window is not charged for a request the key's window refused ...
    assert await state.counters.get("w:tenant") == 3
    # ... and a full tenant window refuses without charging another key's window.
    other = [Window("w:other-key", 10), Window("w:tenant", 4)]
    assert (await state.counters.reserve(other, 1, 60)).admitted
    refused = await state.counters.reserve(other, 1, 60)
    assert refused.refused == 1
    assert refused.counts == (1, 4)
    assert await state.counters.get("w:other-key") == 1


async def test_reserve_takes_amounts_up_to_the_limit_exactly(state: State) -> None:
    window = [Window("tokens", 1000)]
    assert (await state.counters.reserve(window, 600, 60)).counts == (600,)
    refused = await state.counters.reserve(window, 401, 60)
    assert refused.refused == 0
    assert refused.counts == (600,)
    assert (await state.counters.reserve(window, 400, 60)).counts == (1000,)
    assert (await state.counters.reserve(window, 0, 60)).admitted  # nothing more asked: still fits


async def test_add_creates_raises_and_lowers_but_never_below_zero(state: State) -> None:
    assert await state.counters.add(["a", "b"], 5, 60) == (5, 5)
    assert await state.counters.add(["a"], -3, 60) == (2,)
    assert await state.counters.add(["a"], -10, 60) == (0,)
    assert await state.counters.add(["missing"], -4, 60) == (0,)
    assert await state.counters.get("missing") == 0
    assert await state.counters.add(["b"], 0, 60) == (5,)


async def test_counters_expire_with_their_window(state: State) -> None:
    await state.counters.reserve([Window("short", 5)], 2, 0.2)
    await state.counters.add(["short"], 1, 60)  # adding keeps the first expiry
    assert await state.counters.get("short") == 3
    await asyncio.sleep(0.3)
    assert await state.counters.get("short") == 0
    assert (await state.counters.reserve([Window("short", 5)], 5, 0.2)).admitted


async def test_many_concurrent_reserves_admit_exactly_the_limit(state: State) -> None:
    results = await asyncio.gather(
        *(state.counters.reserve([Window("burst", 37)], 1, 60) for _ in range(100))
    )
    assert sum(r.admitted for r in results) == 37
    assert await state.counters.get("burst") == 37


# --- GCRA cells ---


async def test_cells_allow_a_burst_then_an_even_pace(state: State) -> None:
    cell = [Cell("pace", limit=60, period_s=60, burst=3)]  # one per second, three at once
    now = 1_000_000.0
    first = [await state.cells.acquire(cell, 1, now) for _ in range(4)]
    assert [p.admitted for p in first] == [True, True, True, False]
    assert [p.cells[0].remaining for p in first] == [2, 1, 0, 0]
    assert first[3].cells[0].retry_after_s == pytest.approx(1.0, abs=0.002)
    assert first[2].cells[0].reset_s == pytest.approx(3.0, abs=0.002)
    assert not (await state.cells.acquire(cell, 1, now + 0.5)).admitted
    assert (await state.cells.acquire(cell, 1, now + 1.0)).admitted
    assert not (await state.cells.acquire(cell, 1, now + 1.0)).admitted
    later = await state.cells.acquire(cell, 1, now + 100)  # full again after a long pause
    assert later.admitted
    assert later.cells[0].remaining == 2


async def test_cells_weigh_costs_and_take_from_all_or_none(state: State) -> None:
    key = Cell("tok:key", limit=600, period_s=60, burst=600)
    tenant = Cell("tok:tenant", limit=1000, period_s=60, burst=1000)
    now = 2_000_000.0
    assert (await state.cells.acquire([key, tenant], 500, now)).admitted
    refused = await state.cells.acquire([key, tenant], 200, now)
    assert refused.refused == 0
    assert refused.cells[0].remaining == 100
    assert refused.cells[0].retry_after_s == pytest.approx(10.0, abs=0.01)  # 100 tokens at 10/s
    assert refused.cells[1].remaining == 500  # the tenant's cell was not charged
    assert (await state.cells.acquire([tenant], 500, now)).admitted
    assert not (await state.cells.acquire([tenant], 1, now)).admitted


async def test_cells_adjust_refunds_and_charges(state: State) -> None:
    cell = [Cell("adj", limit=600, period_s=60, burst=600)]
    now = 3_000_000.0
    assert (await state.cells.acquire(cell, 600, now)).admitted
    await state.cells.adjust(cell, -250, now)  # used 350 of the 600 reserved
    assert (await state.cells.acquire(cell, 250, now)).admitted
    assert not (await state.cells.acquire(cell, 1, now)).admitted
    await state.cells.adjust(cell, 100, now)  # an overshoot: owed before anything else passes
    refused = await state.cells.acquire(cell, 1, now + 10)  # 10 s refill 100 tokens: back to zero
    assert not refused.admitted
    assert (await state.cells.acquire(cell, 1, now + 10.2)).admitted
    await state.cells.adjust([Cell("never-used", 600, 60, 600)], -5, now)  # a refund to nothing is harmless
    assert (await state.cells.acquire([Cell("never-used", 600, 60, 600)], 600, now)).admitted


async def test_cells_cost_above_burst_never_passes(state: State) -> None:
    cell = [Cell("big", limit=100, period_s=60, burst=100)]
    refused = await state.cells.acquire(cell, 101, 4_000_000.0)
    assert not refused.admitted
    assert refused.cells[0].remaining == 100


# --- key/value ---


async def test_key_value_set_get_delete(state: State) -> None:
    assert await state.kv.get("k") is None
    await state.kv.set("k", b"\x00binary\xff", 60)
    assert await state.kv.get("k") == b"\x00binary\xff"
    await state.kv.delete("k")
    assert await state.kv.get("k") is None
    await state.kv.delete("k")  # deleting nothing is fine


async def test_key_value_set_if_absent_is_atomic(state: State) -> None:
    won = await asyncio.gather(*(state.kv.set_if_absent("once", str(i).encode(), 60) for i in range(20)))
    assert sum(won) == 1
    assert await state.kv.get("once") == str(won.index(True)).encode()


async def test_key_value_expires(state: State) -> None:
    await state.kv.set("brief", b"1", 0.15)
    assert await state.kv.set_if_absent("brief", b"2", 60) is False
    await asyncio.sleep(0.25)
    assert await state.kv.get("brief") is None
    assert await state.kv.set_if_absent("brief", b"2", 60) is True


# --- pub/sub ---


async def _next(messages: object) -> Message:
    return await asyncio.wait_for(messages.__anext__(), timeout=2)  # type: ignore[attr-defined]


async def test_pubsub_delivers_in_order_to_every_subscriber_of_the_channel(state: State) -> None:
    async with state.pubsub.subscribe("config") as first, state.pubsub.subscribe("config", "other") as both:
        await state.pubsub.publish("config", b"1")
        await state.pubsub.publish("other", b"x")
        await state.pubsub.publish("config", b"2")
        assert [await _next(first), await _next(first)] == [Message("config", b"1"), Message("config", b"2")]
        received = [await _next(both) for _ in range(3)]
        assert received == [Message("config", b"1"), Message("other", b"x"), Message("config", b"2")]
    await state.pubsub.publish("config", b"after")  # nobody listens: dropped, no error


async def test_pubsub_subscribe_needs_a_channel(state: State) -> None:
    with pytest.raises(ValueError, match="at least one channel"):
        state.pubsub.subscribe()


# --- the clock and the factory ---


async def test_now_is_wall_clock_time(state: State) -> None:
    assert state.now() == pytest.approx(time.time(), abs=0.5)
    assert not state.degraded
    assert state.fallbacks == 0


async def test_open_state_without_redis_is_memory() -> None:
    state = await open_state(Settings(redis=None))
    assert isinstance(state, MemoryState)
    assert not state.shared
    await state.close()


# --- Redis only ---


async def test_redis_counters_use_the_given_keys_with_expiry(redis_url: str) -> None:
    state = await open_state(Settings(redis=redis_url))
    client = Redis.from_url(redis_url)
    try:
        await state.counters.reserve([Window("rate_limit:k:2026-01-01-00-00", 5)], 1, 60)
        assert await client.get("rate_limit:k:2026-01-01-00-00") == b"1"
        assert 59_000 < await client.pttl("rate_limit:k:2026-01-01-00-00") <= 60_000
        await state.cells.acquire([Cell("gcra:k", 60, 60, 10)], 5, state.now())
        assert 4_900 < await client.pttl("gcra:k") <= 5_000  # a cell lives until it is full again
    finally:
        await client.aclose()
        await state.close()


async def test_redis_scripts_survive_script_flush(redis_url: str) -> None:
    """NOSCRIPT (after a restart or SCRIPT FLUSH) is answered by sending the script again."""
    state = await open_state(Settings(redis=redis_url))
    client = Redis.from_url(redis_url)
    try:
        assert (await state.counters.reserve([Window("ns", 5)], 1, 60)).admitted
        await client.script_flush()
        assert (await state.counters.reserve([Window("ns", 5)], 1, 60)).counts == (2,)
        await client.script_flush()
        assert (await state.cells.acquire([Cell("ns:cell", 60, 60, 5)], 1, state.now())).admitted
        assert not state.degraded
        assert state.fallbacks == 0
    finally:
        await client.aclose()
        await state.close()


async def test_redis_state_is_shared_between_processes_views(redis_url: str) -> None:
    """Two states on one Redis (two replicas) see the same counters, values and messages."""
    one = await open_state(Settings(redis=redis_url))
    two = await open_state(Settings(redis=redis_url))
    try:
        await one.counters.reserve([Window("shared", 2)], 2, 60)
        assert not (await two.counters.reserve([Window("shared", 2)], 1, 60)).admitted
        assert await one.kv.set_if_absent("idem", b"first", 60)
        assert not await two.kv.set_if_absent("idem", b"second", 60)
        async with two.pubsub.subscribe("push") as messages:
            await one.pubsub.publish("push", b"generation 7")
            assert await _next(messages) == Message("push", b"generation 7")
        assert one.now() == pytest.approx(two.now(), abs=0.05)
    finally:
        await one.close()
        await two.close()
