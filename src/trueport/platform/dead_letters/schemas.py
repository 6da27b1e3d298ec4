"""What ``/admin/dead-letters`` and ``/admin/bus/dead-letters`` return."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from trueport.db.models import DeadLetter
from trueport.events.bus import DeadLetter as BusDeadLetter
from trueport.jsonutil import JSONDecodeError, loads

Kind = Literal["request_record", "audit_event", "call_item"]


class DeadLetterOut(BaseModel):
    id: str
    kind: str = Field(
        description="`request_record`, `audit_event`, or `call_item` (a handed-over line that is not a call).",
        examples=["request_record"],
    )
    item_id: str = Field(
        description="The request id or the audit event id (or `<source>:<line>` for an unreadable line)."
    )
    tenant_id: str | None
    error: str = Field(description="Why the database refused it (its message; never the statement).")
    payload: JsonValue = Field(
        description="The item as the writer had it: JSON, or text when it is not JSON."
    )
    created_at: datetime

    @classmethod
    def of(cls, row: DeadLetter) -> DeadLetterOut:
        raw = bytes(row.payload)
        try:
            payload: JsonValue = loads(raw)
        except JSONDecodeError:
            payload = raw.decode("utf-8", "backslashreplace")
        return cls(
            id=row.id,
            kind=row.kind,
            item_id=row.item_id,
            tenant_id=row.tenant_id,
            error=row.error,
            payload=payload,
            created_at=row.created_at,
        )


class BusTopicOut(BaseModel):
    topic: str = Field(examples=["inference.events.v1"])
    parked: int = Field(description="Messages in the topic's dead-letter stream now.")


class BusTopicsOut(BaseModel):
    data: list[BusTopicOut]


class BusDeadLetterOut(BaseModel):
    id: str = Field(
        description="The dead letter's id in its topic's dead-letter stream.", examples=["1765112400000-0"]
    )
    topic: str = Field(examples=["inference.events.v1"])
    group: str = Field(description="The consumer group that failed it.", examples=["webhooks"])
    consumer: str = Field(description="The member of the group that parked it.")
    message_id: str = Field(description="Its id in the topic's stream when it was parked.")
    deliveries: int = Field(description="How many times it was delivered without being acknowledged.")
    error: str = Field(description="The last error a consumer reported (or why it is not an event).")
    parked_at: datetime
    replayable: bool = Field(description="False when the payload is not an event (replay refuses it).")
    tenant_id: str | None = Field(
        description="The event's tenant (null: installation-wide, or not an event)."
    )
    payload: JsonValue = Field(
        description="What was published, as published: the event's JSON, or text when it is not JSON."
    )

    @classmethod
    def of(cls, letter: BusDeadLetter) -> BusDeadLetterOut:
        try:
            payload: JsonValue = loads(letter.payload)
        except JSONDecodeError:
            payload = letter.payload.decode("utf-8", "backslashreplace")
        return cls(
            id=letter.id,
            topic=letter.topic,
            group=letter.group,
            consumer=letter.consumer,
            message_id=letter.message_id,
            deliveries=letter.deliveries,
            error=letter.error,
            parked_at=letter.parked_at,
            replayable=letter.event is not None,
            tenant_id=letter.event.tenant_id if letter.event is not None else None,
            payload=payload,
        )


class BusReplayOut(BaseModel):
    id: str = Field(description="The dead letter replayed (now gone from the dead-letter stream).")
    topic: str
    message_id: str = Field(description="Its new id in the topic's stream.")
