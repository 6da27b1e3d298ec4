"""HTTP endpoints of ``/admin/dead-letters`` (see ARCHITECTURE.md, "Dead letters") and of
``/admin/bus/dead-letters`` (the event bus's; see ``trueport.platform.dead_letters.bus``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import JsonValue

from trueport.audit.events import ControlPlaneEvent
from trueport.events.bus import DeadLetter as BusDeadLetter
from trueport.events.event import Topic
from trueport.platform.context import PlatformDep, Work, audit_action
from trueport.platform.dead_letters import bus
from trueport.platform.dead_letters.bus import LETTER_ID
from trueport.platform.dead_letters.repository import list_dead_letters
from trueport.platform.dead_letters.schemas import (
    BusDeadLetterOut,
    BusReplayOut,
    BusTopicOut,
    BusTopicsOut,
    DeadLetterOut,
    Kind,
)
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.principal import PlatformAdmin

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get(
    "/dead-letters",
    summary="Request records and audit events the writers could not store (platform admins)",
    description="Each with the database's error and the item as the writer had it; oldest first. "
    "Counted by `trueport_dead_letters_total{kind}`.",
)
async def get_dead_letters(
    _: PlatformAdmin,
    work: Work,
    q: Annotated[PageQuery, Depends(page_query)],
    kind: Annotated[Kind | None, Query(description="Only this kind.")] = None,
) -> Page[DeadLetterOut]:
    rows, more = await list_dead_letters(work.session, q, kind)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[DeadLetterOut.of(row) for row in rows], next_cursor=cursor)


# --- the event bus's dead letters (trueport.events; see docs/operations.md, "The event bus") ---

LetterId = Annotated[str, Path(pattern=LETTER_ID, description="The dead letter's id.")]


@router.get(
    "/bus/dead-letters",
    summary="How many bus messages are parked, per topic (platform admins)",
    description="Each topic's dead-letter stream: messages its consumer groups failed "
    "`events.max_deliveries` times, or that are not events. Counted by "
    "`trueport_bus_dead_letters_total{topic,group}` in the process that parked them.",
)
async def get_bus_dead_letter_counts(_: PlatformAdmin, platform: PlatformDep) -> BusTopicsOut:
    found = await bus.counts(bus.bus_of(platform))
    return BusTopicsOut(data=[BusTopicOut(topic=topic, parked=parked) for topic, parked in found])


@router.get(
    "/bus/dead-letters/{topic}",
    summary="A topic's parked bus messages, oldest first (platform admins)",
)
async def list_bus_dead_letters(
    topic: Topic,
    _: PlatformAdmin,
    platform: PlatformDep,
    q: Annotated[PageQuery, Depends(page_query)],
) -> Page[BusDeadLetterOut]:
    letters, more = await bus.page(bus.bus_of(platform), topic, q)
    cursor = encode_cursor(letters[-1].parked_at, letters[-1].id) if more else None
    return Page(data=[BusDeadLetterOut.of(letter) for letter in letters], next_cursor=cursor)


@router.get("/bus/dead-letters/{topic}/{letter_id}", summary="One parked bus message (platform admins)")
async def get_bus_dead_letter(
    topic: Topic, letter_id: LetterId, _: PlatformAdmin, platform: PlatformDep
) -> BusDeadLetterOut:
    return BusDeadLetterOut.of(await bus.find(bus.bus_of(platform), topic, letter_id))


@router.post(
    "/bus/dead-letters/{topic}/{letter_id}/replay",
    summary="Publish a parked message to its topic again and remove it (platform admins)",
    description="The consumer group that parked it receives it again (the topic's other groups do "
    "not), the same event with the same id. 409 `dead_letter_unreadable` when it is not an event.",
)
async def replay_bus_dead_letter(
    topic: Topic, letter_id: LetterId, _: PlatformAdmin, platform: PlatformDep, request: Request
) -> BusReplayOut:
    letter, message_id = await bus.replay(bus.bus_of(platform), topic, letter_id)
    await audit_action(platform, request, _change("replay", letter, {"message_id": message_id}))
    return BusReplayOut(id=letter.id, topic=topic, message_id=message_id)


@router.delete(
    "/bus/dead-letters/{topic}/{letter_id}",
    status_code=204,
    response_class=Response,
    summary="Discard a parked message (platform admins)",
)
async def discard_bus_dead_letter(
    topic: Topic, letter_id: LetterId, _: PlatformAdmin, platform: PlatformDep, request: Request
) -> Response:
    letter = await bus.discard(bus.bus_of(platform), topic, letter_id)
    await audit_action(platform, request, _change("delete", letter, None))
    return Response(status_code=204)


def _change(action: str, letter: BusDeadLetter, after: dict[str, JsonValue] | None) -> ControlPlaneEvent:
    before: dict[str, JsonValue] = {
        "group": letter.group,
        "message_id": letter.message_id,
        "deliveries": letter.deliveries,
        "event_id": letter.event.id if letter.event is not None else None,
    }
    return ControlPlaneEvent(
        tenant_id=None,  # the bus is the installation's
        actor="",
        action=action,
        object_type="bus_dead_letter",
        object_id=f"{letter.topic}/{letter.id}",
        before=before,
        after=after,
    )
