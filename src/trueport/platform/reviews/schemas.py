"""What ``/reviews`` reads and returns. A review item names a request and a finding (detector, type,
score, where), never the text: the gateway scanned it in memory and kept nothing of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from trueport.db.models import ReviewItem

ReviewStatus = Literal["open", "confirmed", "dismissed"]
Verdict = Literal["confirmed", "dismissed"]

_REVIEW_EXAMPLE: dict[str, Any] = {
    "id": "5d0b8e9a-3c1f-4a7e-9b2d-6f1e0c4a8b37",
    "request_id": "9b2e4c1a-7d3f-4e8b-a6c5-0f1e2d3c4b5a",
    "key_id": "0f6a3c52-8f0e-4d8e-9a57-3b3c1f0d2a11",
    "direction": "input",
    "detector": "injection",
    "type": "prompt_injection",
    "score": 0.97,
    "location": "messages[1].content",
    "policy_version": 4,
    "status": "open",
    "note": "",
    "resolved_by": None,
    "resolved_at": None,
    "created_at": "2025-05-01T09:30:01.500000Z",
    "assignee_id": "3c9d2f1e-6a4b-4c8d-9e7f-1a2b3c4d5e6f",
    "assigned_at": "2025-05-01T10:02:11.000000Z",
    "due_at": "2025-05-02T09:30:01.500000Z",
    "overdue": False,
}


class ReviewOut(BaseModel):
    """A finding of an async detector, waiting for (or judged by) a person."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REVIEW_EXAMPLE]})

    id: str
    request_id: str = Field(description="The request's id (its `x-request-id` header).")
    key_id: str | None
    direction: str = Field(description="`input` (to the provider) or `output` (the answer).")
    detector: str
    type: str = Field(description="The finding's type, e.g. `prompt_injection`, `stereotype`.")
    score: float = Field(description="The highest score of this type on the request.")
    location: str = Field(description="Where in the request or answer, e.g. `messages[1].content`.")
    policy_version: int = Field(description="The version of the tenant's policy that raised it.")
    status: ReviewStatus
    note: str
    resolved_by: str | None = Field(description="The user who resolved it.")
    resolved_at: datetime | None
    created_at: datetime
    assignee_id: str | None = Field(default=None, description="The member the item is assigned to.")
    assigned_at: datetime | None = None
    due_at: datetime | None = Field(
        default=None, description="`created_at` plus the installation's `platform.review_sla_hours`."
    )
    overdue: bool = Field(default=False, description="Still open after `due_at`.")

    @classmethod
    def of(cls, row: ReviewItem, sla: timedelta | None = None) -> ReviewOut:
        due_at = _aware(row.created_at) + sla if sla is not None else None
        return cls(
            id=row.id,
            request_id=row.request_id,
            key_id=row.key_id,
            direction=row.direction,
            detector=row.detector,
            type=row.type,
            score=row.score,
            location=row.location,
            policy_version=row.policy_version,
            status=row.status,
            note=row.note,
            resolved_by=row.resolved_by,
            resolved_at=row.resolved_at,
            created_at=row.created_at,
            assignee_id=row.assignee_id,
            assigned_at=row.assigned_at,
            due_at=due_at,
            overdue=due_at is not None and row.status == "open" and due_at <= datetime.now(UTC),
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ReviewAssign(BaseModel):
    """Who should look at an item."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"user_id": "3c9d2f1e-6a4b-4c8d-9e7f-1a2b3c4d5e6f"}]},
    )

    user_id: str | None = Field(
        max_length=36, description="A member of the tenant (mailed about it); `null` unassigns the item."
    )


class ReviewAssigned(ReviewOut):
    email_sent: bool = Field(
        description="Whether the assignee's notification reached the SMTP server (false: unassigned, "
        "mail not configured or refused; the assignment stands either way)."
    )


class ReviewResolve(BaseModel):
    """A person's verdict on an open review item."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "confirmed", "note": "Jailbreak attempt; key owner warned."}]
        },
    )

    status: Verdict = Field(description="`confirmed`: a real violation; `dismissed`: a false positive.")
    note: str = Field(default="", max_length=2000, description="Why, for the next person who looks.")


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    status: ReviewStatus | None = None
    detector: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool | None = None
    assignee: str | None = None


def review_filter(
    status: Annotated[ReviewStatus | None, Query(description="Only items in this state.")] = None,
    detector: Annotated[
        str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="e.g. `injection`, `bias`.")
    ] = None,
    since: Annotated[AwareDatetime | None, Query(description="Raised from this time on (inclusive).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Raised before this time (exclusive).")] = None,
    overdue: Annotated[
        bool | None, Query(description="`true`: open items past their `due_at`; `false`: all others.")
    ] = None,
    assignee: Annotated[
        str | None, Query(max_length=36, description="Only items assigned to this user id.")
    ] = None,
) -> ReviewFilter:
    return ReviewFilter(status, detector, since, until, overdue, assignee)


@dataclass(frozen=True, slots=True)
class ExportFilter:
    detector: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def export_filter(
    format: Annotated[Literal["jsonl"], Query(description="`jsonl`: one JSON object per line.")] = "jsonl",
    detector: Annotated[
        str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="e.g. `injection`, `pii`.")
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Resolved from this time on (inclusive).")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Resolved before this time (exclusive).")
    ] = None,
) -> ExportFilter:
    return ExportFilter(detector, since, until)
