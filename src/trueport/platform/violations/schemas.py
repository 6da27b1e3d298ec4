"""What ``/violations`` reads and returns. A violation carries where a finding was (a JSON path and
character offsets), never what it was: the table holds no content, and neither does the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from trueport.db.models import GuardViolation
from trueport.platform.usage.rollup_schemas import Granularity

Name = Annotated[str, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Id = Annotated[str, Query(pattern=r"^[0-9A-Fa-f-]{1,36}$")]  # key and request ids are UUID-shaped
ActionName = Literal["block", "redact", "flag"]
DirectionName = Literal["input", "output"]

_VIOLATION_EXAMPLE: dict[str, Any] = {
    "id": 4211,
    "request_id": "9b2e4c1a-7d3f-4e8b-a6c5-0f1e2d3c4b5a",
    "key_id": "0f6a3c52-8f0e-4d8e-9a57-3b3c1f0d2a11",
    "created_at": "2025-05-01T09:30:00.125000Z",
    "direction": "input",
    "source": "prompt",
    "location": "messages[1].content",
    "detector": "pii",
    "type": "credit_card",
    "action": "block",
    "shadow": False,
    "score": 0.99,
    "start": 42,
    "end": 61,
    "policy_version": 3,
}


class ViolationOut(BaseModel):
    """One guard finding on one request, as the audit trail keeps it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VIOLATION_EXAMPLE]})

    id: int
    request_id: str = Field(description="The request's id (its `x-request-id` header).")
    key_id: str | None
    created_at: datetime
    direction: str = Field(description="`input` (to the provider) or `output` (the answer).")
    source: str = Field(description="`prompt`, `document`, `tool_output`, `completion`, `tool_arguments`.")
    location: str = Field(description="Where in the request or answer, e.g. `messages[1].content`.")
    detector: str
    type: str = Field(description="The finding's type, e.g. `email`, `aws_access_key`, `stereotype`.")
    action: str = Field(description="What the policy did: `block`, `redact` or `flag`.")
    shadow: bool = Field(
        description="Shadow mode: recorded, not enforced (`action` is what would have happened)."
    )
    score: float
    start: int | None = Field(
        description="Character offsets in the text at `location`; null for a whole text."
    )
    end: int | None
    policy_version: int = Field(description="The version of the tenant's policy that decided it.")

    @classmethod
    def of(cls, row: GuardViolation) -> ViolationOut:
        return cls(
            id=row.id,
            request_id=row.request_id,
            key_id=row.key_id,
            created_at=row.created_at,
            direction=row.direction,
            source=row.source,
            location=row.location,
            detector=row.detector,
            type=row.type,
            action=row.action,
            shadow=row.shadow,
            score=row.score,
            start=row.start,
            end=row.end,
            policy_version=row.policy_version,
        )


@dataclass(frozen=True, slots=True)
class ViolationFilter:
    since: datetime | None = None
    until: datetime | None = None
    detector: str | None = None
    type: str | None = None
    action: str | None = None
    direction: str | None = None
    key_id: str | None = None
    request_id: str | None = None


def violation_filter(
    since: Annotated[AwareDatetime | None, Query(description="From this time on (inclusive).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Before this time (exclusive).")] = None,
    detector: Annotated[Name | None, Query(description="e.g. `pii`, `secrets`.")] = None,
    type: Annotated[Name | None, Query(description="A finding type, e.g. `email`.")] = None,
    action: ActionName | None = None,
    direction: DirectionName | None = None,
    key_id: Annotated[Id | None, Query(description="The key's id.")] = None,
    request_id: Annotated[Id | None, Query(description="The request's `x-request-id`.")] = None,
) -> ViolationFilter:
    return ViolationFilter(since, until, detector, type, action, direction, key_id, request_id)


class TypeCount(BaseModel):
    detector: str
    type: str
    count: int


class ViolationSummary(BaseModel):
    """Violation counts over ``[since, until)``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "since": "2025-04-01T00:00:00Z",
                    "until": "2025-05-01T00:00:00Z",
                    "total": 1289,
                    "shadow": 75,
                    "by_detector": {"pii": 1130, "secrets": 12, "injection": 75, "bias": 72},
                    "by_action": {"redact": 1130, "block": 87, "flag": 72},
                    "by_type": [
                        {"detector": "pii", "type": "email", "count": 1004},
                        {"detector": "pii", "type": "phone", "count": 126},
                        {"detector": "injection", "type": "prompt_injection", "count": 75},
                    ],
                }
            ]
        }
    )

    since: datetime
    until: datetime
    total: int
    shadow: int = Field(description="How many of them were recorded in shadow mode (not enforced).")
    by_detector: dict[str, int]
    by_action: dict[str, int] = Field(
        description="Shadow violations count under the action they would have had."
    )
    by_type: list[TypeCount] = Field(description="Most frequent first.")


class ViolationPoint(BaseModel):
    """The violations of one UTC hour or day. ``block + redact + flag + shadow == total``."""

    bucket_start: datetime
    total: int
    block: int = Field(description="Enforced: the request or answer was refused.")
    redact: int = Field(description="Enforced: the finding was masked.")
    flag: int = Field(description="Enforced: recorded (and queued for review where the policy says so).")
    shadow: int = Field(description="Recorded in shadow mode, whatever their action: nothing was enforced.")


class ViolationSeries(BaseModel):
    """Violation counts per UTC hour or day over ``[since, until)``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "granularity": "hour",
                    "since": "2025-05-01T00:00:00Z",
                    "until": "2025-05-02T00:00:00Z",
                    "points": [
                        {
                            "bucket_start": "2025-05-01T09:00:00Z",
                            "total": 14,
                            "block": 2,
                            "redact": 9,
                            "flag": 1,
                            "shadow": 2,
                        }
                    ],
                }
            ]
        }
    )

    granularity: Granularity
    since: datetime
    until: datetime = Field(description="Exclusive.")
    points: list[ViolationPoint] = Field(description="One per bucket with violations, oldest first.")
