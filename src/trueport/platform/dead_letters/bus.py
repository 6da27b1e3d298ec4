"""The event bus's dead letters: messages its consumer groups failed ``events.max_deliveries`` times
(or that are not events), parked per topic by ``trueport.events``. Installation-wide, so platform
admins only: list them per topic, replay one (published to its topic again, for the group that parked
it: the topic's other groups do not see it twice), or discard it. Replays and discards are audited."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound, ApiUnavailable
from trueport.events.bus import DeadLetter, EventBus
from trueport.events.event import TOPICS
from trueport.platform.context import Platform
from trueport.platform.pagination import PageQuery
from trueport.state.resp import ReplyError

LETTER_ID = r"^[0-9]{1,20}-[0-9]{1,20}$"
_LETTER_ID = re.compile(LETTER_ID)


def bus_of(platform: Platform) -> EventBus:
    if platform.events is None:
        raise ApiUnavailable("the event bus is not open in this process", code="bus_unavailable")
    return platform.events


@asynccontextmanager
async def answering() -> AsyncIterator[None]:
    """Redis away or refusing: a 503 that says so, not a 500."""
    try:
        yield
    except (OSError, TimeoutError, ReplyError) as exc:
        raise ApiUnavailable(
            f"the event bus does not answer ({type(exc).__name__})", code="bus_unavailable"
        ) from exc


async def counts(bus: EventBus) -> list[tuple[str, int]]:
    async with answering():
        return [(topic, await bus.dead_letters.count(topic)) for topic in TOPICS]


async def page(bus: EventBus, topic: str, q: PageQuery) -> tuple[list[DeadLetter], bool]:
    after = None
    if q.cursor is not None:
        after = q.cursor[1]
        if not _LETTER_ID.match(after):
            raise ApiInvalid("invalid cursor", code="invalid_cursor")
    async with answering():
        return await bus.dead_letters.list(topic, q.limit, after)


async def find(bus: EventBus, topic: str, letter_id: str) -> DeadLetter:
    async with answering():
        letter = await bus.dead_letters.get(topic, letter_id)
    if letter is None:
        raise ApiNotFound("no such dead letter", code="dead_letter_not_found")
    return letter


async def replay(bus: EventBus, topic: str, letter_id: str) -> tuple[DeadLetter, str]:
    """Publish it to its topic again and remove it; the letter and its new message id."""
    letter = await find(bus, topic, letter_id)
    if letter.event is None:
        raise ApiConflict(
            "this dead letter is not an event: replaying it would only park it again (discard it)",
            code="dead_letter_unreadable",
        )
    async with answering():
        message_id = await bus.dead_letters.replay(topic, letter_id)
    if message_id is None:  # replayed or discarded meanwhile
        raise ApiNotFound("no such dead letter", code="dead_letter_not_found")
    return letter, message_id


async def discard(bus: EventBus, topic: str, letter_id: str) -> DeadLetter:
    letter = await find(bus, topic, letter_id)
    async with answering():
        if not await bus.dead_letters.discard(topic, letter_id):
            raise ApiNotFound("no such dead letter", code="dead_letter_not_found")
    return letter
