"""What ``/webhooks`` accepts and returns. The signing ``secret`` is in the creation response only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from trueport.db.models import WebhookDelivery, WebhookSubscription
from trueport.events.event import Topic
from trueport.jsonutil import JSONObject, loads_object

_ID = "5b0f2a51-8d9e-4c1b-9f3a-2e7d6c4b1a90"
_TIME = "2026-01-05T10:00:00Z"

Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2048,
        description="Where events are POSTed: https, and not a private address outside development.",
        examples=["https://hooks.example.com/trueport"],
    ),
]
Topics = Annotated[
    list[Topic],
    Field(
        min_length=1,
        max_length=4,
        description="The topics delivered to this URL.",
        examples=[["inference.events.v1"]],
    ),
]
Description = Annotated[str, Field(max_length=200, examples=["billing sync"])]


def _unique(topics: list[Topic] | None) -> list[Topic] | None:
    if topics is not None and len(set(topics)) != len(topics):
        raise ValueError("topics must not repeat")
    return topics


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/trueport",
                    "topics": ["inference.events.v1"],
                    "description": "",
                }
            ]
        },
    )

    url: Url
    topics: Topics
    description: Description = ""

    _topics = field_validator("topics")(_unique)


class WebhookUpdate(BaseModel):
    """Only the fields sent change; ``active: false`` pauses deliveries (pending ones wait)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})

    url: Url | None = None
    topics: Topics | None = None
    description: Description | None = None
    active: bool | None = None

    _topics = field_validator("topics")(_unique)


_OUT_EXAMPLE: dict[str, JsonValue] = {
    "id": _ID,
    "url": "https://hooks.example.com/trueport",
    "topics": ["inference.events.v1"],
    "description": "",
    "active": True,
    "created_at": _TIME,
    "updated_at": _TIME,
}


class WebhookOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_OUT_EXAMPLE]})

    id: str
    url: str
    topics: list[str]
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> WebhookOut:
        return cls(
            id=row.id,
            url=row.url,
            topics=list(row.topics),
            description=row.description,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class WebhookCreated(WebhookOut):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_OUT_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]}
    )

    secret: str = Field(
        description="The signing secret (Standard Webhooks). Shown once: store it now to verify requests."
    )


class DeliveryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _ID,
                    "webhook_id": _ID,
                    "event_id": _ID,
                    "topic": "inference.events.v1",
                    "status": "dead",
                    "attempts": 5,
                    "last_status": 503,
                    "last_error": "HTTP 503",
                    "next_attempt_at": None,
                    "created_at": _TIME,
                    "delivered_at": None,
                    "event": {
                        "id": _ID,
                        "topic": "inference.events.v1",
                        "tenant_id": _ID,
                        "time": _TIME,
                        "data": {},
                    },
                }
            ]
        }
    )

    id: str
    webhook_id: str
    event_id: str
    topic: str
    status: str = Field(description="`pending`, `delivered` or `dead` (in the dead-letter queue).")
    attempts: int
    last_status: int | None = Field(description="The HTTP status of the last attempt, if one answered.")
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    event: JSONObject = Field(description="The event, as the exact body that is signed and sent.")

    @classmethod
    def of(cls, row: WebhookDelivery) -> DeliveryOut:
        return cls(
            id=row.id,
            webhook_id=row.subscription_id,
            event_id=row.event_id,
            topic=row.topic,
            status=row.status,
            attempts=row.attempts,
            last_status=row.last_status,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            event=loads_object(row.payload),
        )
