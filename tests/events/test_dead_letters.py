"""Dead letters, on both backends: a message a group fails ``events.max_deliveries`` (5) times is parked
in its topic's dead-letter store and acknowledged while the other messages flow; the metric counts
it; it is listed with its group, deliveries and error, replayed to its topic (a fixed handler then
consumes it: only the group that parked it sees it again) or discarded. On Redis also: entries that are not events are parked at once, two members
claiming together park a message once, and a member that died without a word is parked too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from trueport.events import Consumer, Delivered, Event, EventBus, open_event_bus
from trueport.events.streams import StreamsBus, dead_key, stream_key
from trueport.metrics import REGISTRY
from trueport.settings import Settings
from trueport.state.resp import RespClient, parse_url

TOPIC = "inference.events.v1"
IDLE_S = 0.05


def _event(n: int, **data: object) -> Event:
    return Event.new(TOPIC, "t1", {"n": n, **data})


def _parked_metric(group: str) -> float:
    return (
        REGISTRY.get_sample_value("trueport_bus_dead_letters_total", {"topic": TOPIC, "group": group}) or 0.0
    )


async def pump(consumer: Consumer, handle: Callable[[Delivered], None]) -> None:
    """One round of a consumer loop: take over what is stuck, read what is new, handle each message
    on its own, acknowledge what was handled and report what failed."""
    items = await consumer.claim(IDLE_S) + await consumer.read(count=100, block_s=0.05)
    handled: list[Delivered] = []
    for item in items:
        try:
            handle(item)
        except RuntimeError as exc:
            await consumer.fail([item], f"RuntimeError: {exc}")
        else:
            handled.append(item)
    await consumer.ack(handled)


async def test_a_poison_message_is_parked_after_5_deliveries_while_the_rest_flow_then_replayed(
    bus: EventBus,
) -> None:
    consumer = bus.consumer([TOPIC], "workers", "w1")
    await consumer.read(block_s=0)  # joins the group
    auditors = bus.consumer([TOPIC], "auditors", "a1")  # another group, which handles everything
    await auditors.read(block_s=0)
    before = _parked_metric("workers")
    handled: list[int] = []
    poison_deliveries: list[int] = []

    def handle(item: Delivered) -> None:
        if item.event.data.get("poison"):
            poison_deliveries.append(item.deliveries)
            raise RuntimeError("cannot handle this one")
        handled.append(int(str(item.event.data["n"])))

    poison = _event(3, poison=True)
    for n in range(6):
        bus.publish(TOPIC, poison if n == 3 else _event(n))
    await bus.flush()
    rounds = 0
    async with asyncio.timeout(10):
        while await bus.dead_letters.count(TOPIC) == 0:
            await pump(consumer, handle)
            rounds += 1
            bus.publish(TOPIC, _event(100 + rounds))  # new messages keep flowing meanwhile
            await bus.flush()
            await asyncio.sleep(IDLE_S * 1.5)
    await pump(consumer, handle)

    assert poison_deliveries == [1, 2, 3, 4, 5]  # delivered 5 times, then parked, not delivered again
    assert sorted(handled) == [0, 1, 2, 4, 5, *range(101, 101 + rounds)]  # every other one, once
    audited = await auditors.read(count=1000, block_s=1)
    assert len(audited) == 6 + rounds
    await auditors.ack(audited)
    assert _parked_metric("workers") == before + 1
    assert await consumer.claim(0) == []  # acknowledged: nothing of the group is pending

    [letter], more = await bus.dead_letters.list(TOPIC, limit=10)
    assert not more
    assert letter.event == poison and letter.payload == poison.encode()
    assert (letter.topic, letter.group, letter.consumer) == (TOPIC, "workers", "w1")
    assert letter.deliveries == 5 and letter.error == "RuntimeError: cannot handle this one"
    assert await bus.dead_letters.get(TOPIC, letter.id) == letter

    # Replayed: published to the topic again (the same event), gone from the store; fixed, it is handled.
    message_id = await bus.dead_letters.replay(TOPIC, letter.id)
    assert message_id is not None
    assert await bus.dead_letters.count(TOPIC) == 0
    assert await bus.dead_letters.replay(TOPIC, letter.id) is None  # once only
    again = await consumer.read(block_s=2)
    assert [(item.message_id, item.event, item.deliveries) for item in again] == [(message_id, poison, 1)]
    await consumer.ack(again)
    assert await auditors.read(block_s=0.2) == []  # the replay is for the group that parked it
    assert await auditors.claim(0) == []
    await consumer.close()
    await auditors.close()


async def test_dead_letters_are_listed_in_pages_and_discarded(bus: EventBus) -> None:
    consumer = bus.consumer([TOPIC], "g", "c")
    await consumer.read(block_s=0)
    for n in range(3):
        bus.publish(TOPIC, _event(n))
    await bus.flush()
    for _ in range(5):  # read, then claimed 4 times: 5 deliveries, never acknowledged
        items = await consumer.claim(0) + await consumer.read(block_s=0.05)
        assert len(items) == 3
        await consumer.fail(items, "nope")
    assert await consumer.claim(0) == []  # the sixth time: parked instead
    first, more = await bus.dead_letters.list(TOPIC, limit=2)
    assert more and [letter.event.data["n"] for letter in first if letter.event] == [0, 1]
    rest, more = await bus.dead_letters.list(TOPIC, limit=2, after=first[-1].id)
    assert not more and [letter.event.data["n"] for letter in rest if letter.event] == [2]
    assert all(letter.error == "nope" and letter.deliveries == 5 for letter in first + rest)
    assert await bus.dead_letters.discard(TOPIC, first[0].id)
    assert not await bus.dead_letters.discard(TOPIC, first[0].id)
    assert await bus.dead_letters.count(TOPIC) == 2
    assert await bus.dead_letters.list("budget.events.v1", limit=10) == ([], False)
    await consumer.close()


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_max_deliveries_comes_from_the_settings(backend: str, request: pytest.FixtureRequest) -> None:
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else None
    bus = await open_event_bus(Settings(redis=redis_url, events={"max_deliveries": 2}))  # type: ignore[arg-type]
    try:
        consumer = bus.consumer([TOPIC], "g", "c")
        await consumer.read(block_s=0)
        bus.publish(TOPIC, _event(1))
        await bus.flush()
        assert len(await consumer.read(block_s=1)) == 1
        assert [item.deliveries for item in await consumer.claim(0)] == [2]
        assert await consumer.claim(0) == []
        assert await bus.dead_letters.count(TOPIC) == 1
        await consumer.close()
    finally:
        await bus.close()


# --- Redis only ---


@pytest.fixture
async def streams(redis_url: str) -> AsyncIterator[StreamsBus]:
    bus = await open_event_bus(Settings(redis=redis_url))
    assert isinstance(bus, StreamsBus)
    yield bus
    await bus.close()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[RespClient]:
    client = RespClient(parse_url(redis_url), 2.0)
    yield client
    await client.close()


async def test_entries_that_are_not_events_are_parked_at_once(streams: StreamsBus, raw: RespClient) -> None:
    consumer = streams.consumer([TOPIC], "g", "c")
    await consumer.read(block_s=0)
    await raw.execute("XADD", stream_key(TOPIC), "*", "event", b"not json")
    await raw.execute("XADD", stream_key(TOPIC), "*", "other", b"field")
    other_topic = Event.new("budget.events.v1", "t1", {})
    await raw.execute("XADD", stream_key(TOPIC), "*", "event", other_topic.encode())
    streams.publish(TOPIC, _event(7))
    await streams.flush()
    got = await consumer.read(block_s=1)
    assert [item.event.data["n"] for item in got] == [7]  # the bad entries came first: not handed out
    pending = await raw.execute("XPENDING", stream_key(TOPIC), "g")
    assert isinstance(pending, list) and pending[0] == 1  # only 7 waits for its acknowledgement
    letters, _ = await streams.dead_letters.list(TOPIC, limit=10)
    assert [(letter.payload, letter.event, letter.deliveries) for letter in letters] == [
        (b"not json", None, 1),
        (b"", None, 1),
        (other_topic.encode(), other_topic, 1),
    ]
    assert letters[0].error.startswith("not an event")
    assert (
        letters[2].error
        == "not an event: an event of 'budget.events.v1' in the stream of 'inference.events.v1'"
    )
    await consumer.close()


async def test_the_dead_letter_stream_keeps_what_was_published_and_why(
    streams: StreamsBus, raw: RespClient
) -> None:
    consumer = streams.consumer([TOPIC], "g", "dying")
    await consumer.read(block_s=0)
    event = _event(1)
    streams.publish(TOPIC, event)
    await streams.flush()
    [first] = await consumer.read(block_s=1)
    for _ in range(4):  # claimed again and again, never acknowledged, no error reported (it dies each time)
        await consumer.claim(0)
    await consumer.claim(0)
    [[_, fields]] = await raw.execute("XRANGE", dead_key(TOPIC), "-", "+")  # type: ignore[misc]
    stored = dict(zip(fields[::2], fields[1::2], strict=True))  # type: ignore[index]
    assert dead_key(TOPIC) == "trueport:events:dead:inference.events.v1"
    assert stored[b"event"] == event.encode() and stored[b"topic"] == TOPIC.encode()
    assert stored[b"group"] == b"g" and stored[b"consumer"] == b"dying"
    assert stored[b"message_id"] == first.message_id.encode() and stored[b"deliveries"] == b"5"
    assert stored[b"error"] == b"not acknowledged after 5 deliveries (no error reported)"
    assert stored[b"parked_at"].endswith(b"Z")
    assert await raw.execute("KEYS", "trueport:events:error:*") == []
    await consumer.close()


async def test_two_members_claiming_together_park_a_message_once(streams: StreamsBus) -> None:
    a, b = streams.consumer([TOPIC], "g", "a"), streams.consumer([TOPIC], "g", "b")
    await a.read(block_s=0)
    streams.publish(TOPIC, _event(1))
    await streams.flush()
    await a.read(block_s=1)
    for _ in range(4):
        assert len(await a.claim(0)) == 1
    await asyncio.sleep(0.01)
    results = await asyncio.gather(a.claim(0.005), b.claim(0.005))
    assert results == [[], []]
    assert await streams.dead_letters.count(TOPIC) == 1
    assert a.parked + b.parked == 1
    await a.close()
    await b.close()


async def test_a_replay_of_a_letter_that_is_gone_publishes_nothing(
    streams: StreamsBus, raw: RespClient
) -> None:
    assert await streams.dead_letters.replay(TOPIC, "1-0") is None
    assert await raw.execute("EXISTS", stream_key(TOPIC)) == 0
