"""The bus on both backends: publish never waits, groups share messages, dead members' messages are
claimed by the living."""

from __future__ import annotations

import asyncio
import time

import pytest

from trueport.events import Delivered, Event, EventBus, open_event_bus
from trueport.events.streams import stream_key
from trueport.settings import Settings
from trueport.state.resp import RespClient, parse_url

TOPIC = "inference.events.v1"


def _event(n: int, tenant: str = "t1", topic: str = TOPIC) -> Event:
    return Event.new(topic, tenant, {"n": n})  # type: ignore[arg-type]


async def _drain(consumer_reads: list[list[Delivered]]) -> list[int]:
    return sorted(item.event.data["n"] for batch in consumer_reads for item in batch)


async def test_an_event_round_trips_as_json_with_its_fields(bus: EventBus) -> None:
    consumer = bus.consumer([TOPIC], "g", "c1")
    await consumer.read(block_s=0)  # joins the group
    event = Event.new(TOPIC, "tenant-a", {"status": 200, "cost": "0.01"})
    bus.publish(TOPIC, event)
    got = await consumer.read(block_s=2)
    assert [item.event for item in got] == [event]
    assert set(event.as_dict()) == {"id", "topic", "tenant_id", "time", "data"}
    assert Event.decode(event.encode()) == event
    await consumer.ack(got)
    await consumer.close()


async def test_publish_is_an_append_that_does_not_wait() -> None:
    bus = await open_event_bus(Settings(redis="redis://127.0.0.1:1"))  # nothing listens there
    try:
        started = time.perf_counter()
        for n in range(1000):
            bus.publish(TOPIC, _event(n))
        assert time.perf_counter() - started < 0.5
    finally:
        await bus.close()


async def test_publish_refuses_an_event_of_another_topic(bus: EventBus) -> None:
    with pytest.raises(ValueError, match="published to"):
        bus.publish("budget.events.v1", _event(1))


async def test_two_consumers_of_one_group_share_the_messages(bus: EventBus) -> None:
    first, second = bus.consumer([TOPIC], "workers", "a"), bus.consumer([TOPIC], "workers", "b")
    other = bus.consumer([TOPIC], "auditors", "x")  # another group sees everything again
    for consumer in (first, second, other):
        await consumer.read(block_s=0)
    for n in range(20):
        bus.publish(TOPIC, _event(n))
    await bus.flush()
    a = await first.read(count=7, block_s=1)
    b = await second.read(count=100, block_s=1)
    a += await first.read(count=100, block_s=0)
    assert len(a) == 7 and len(b) == 13
    assert await _drain([a, b]) == list(range(20))
    assert await _drain([await other.read(count=100, block_s=1)]) == list(range(20))
    for consumer in (first, second, other):
        await consumer.close()


async def test_a_dead_consumers_unacknowledged_messages_are_claimed_by_another(bus: EventBus) -> None:
    dying, living = bus.consumer([TOPIC], "workers", "dying"), bus.consumer([TOPIC], "workers", "living")
    await dying.read(block_s=0)
    for n in range(5):
        bus.publish(TOPIC, _event(n))
    await bus.flush()
    taken = await dying.read(count=3, block_s=1)
    await dying.ack(taken[:1])
    await dying.close()  # dies without acknowledging taken[1:]
    assert await living.claim(min_idle_s=10) == []  # not idle long enough yet
    await asyncio.sleep(0.15)
    claimed = await living.claim(min_idle_s=0.1)
    assert [item.event.data["n"] for item in claimed] == [1, 2]
    await living.ack(claimed)
    assert await living.claim(min_idle_s=0) == []  # acknowledged: nothing left pending
    assert await _drain([await living.read(count=100, block_s=1)]) == [3, 4]
    await living.close()


async def test_a_consumer_reads_several_topics(bus: EventBus) -> None:
    consumer = bus.consumer([TOPIC, "budget.events.v1"], "g", "c")
    await consumer.read(block_s=0)
    bus.publish(TOPIC, _event(1))
    bus.publish("budget.events.v1", _event(2, topic="budget.events.v1"))
    bus.publish("hitl.events.v1", _event(3, topic="hitl.events.v1"))
    await bus.flush()
    got = await consumer.read(block_s=1)
    got += await consumer.read(block_s=0.2)
    assert sorted((item.event.topic, item.event.data["n"]) for item in got) == [
        ("budget.events.v1", 2),
        (TOPIC, 1),
    ]
    await consumer.close()


async def test_unreadable_stream_entries_are_parked_and_skipped(redis_url: str) -> None:
    bus = await open_event_bus(Settings(redis=redis_url))
    client = RespClient(parse_url(redis_url), 2.0)
    try:
        consumer = bus.consumer([TOPIC], "g", "c")
        await consumer.read(block_s=0)
        await client.execute("XADD", stream_key(TOPIC), "*", "event", b"not json")
        bus.publish(TOPIC, _event(7))
        await bus.flush()
        got = await consumer.read(block_s=1)
        assert [item.event.data["n"] for item in got] == [7]  # the bad entry came first: skipped
        pending = await client.execute("XPENDING", stream_key(TOPIC), "g")
        assert isinstance(pending, list) and pending[0] == 1  # the bad entry was acknowledged
        assert await bus.dead_letters.count(TOPIC) == 1  # and parked (tests/events/test_dead_letters.py)
        await consumer.close()
    finally:
        await client.close()
        await bus.close()


async def test_a_redis_that_comes_late_gets_the_events_queued_meanwhile(redis_url: str) -> None:
    from trueport.events.streams import StreamsBus

    bus = StreamsBus.from_url(redis_url, timeout_s=1.0)
    consumer = bus.consumer([TOPIC], "g", "c")
    await consumer.read(block_s=0)
    bus.publish(TOPIC, _event(1))  # queued before the forwarder even started
    await bus.start()
    got = await consumer.read(block_s=2)
    assert [item.event.data["n"] for item in got] == [1]
    await consumer.close()
    await bus.close()
