"""Audit events: typed records of every data-plane decision and every control-plane change.

An event is built by the code that made the decision and handed to ``AuditLog.append``. When it is
committed, the log gives it its place: ``seq`` (its leaf index in the installation's Merkle tree) and
``tenant_seq`` (its position among its tenant's events, so a tenant can see a gap in its own view).
``leaf_document`` is what is hashed: the event's fields plus those two and a format version,
serialised as canonical JSON (``trueport.audit.canonical``). Money is carried as decimal strings,
times as RFC 3339 UTC with microseconds. Events never carry prompt or response bodies; findings
carry offsets, not matched text.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, field_validator

from trueport.audit.canonical import MAX_SAFE_INTEGER

LEAF_FORMAT_VERSION = 1

# Integers a double holds exactly: every one has a canonical JSON form (see ``canonical``).
SafeInt = Annotated[int, Field(ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
Count = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]


def _new_event_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. ``2026-11-22T10:00:00.000000Z`` (one form per instant)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """The inverse of ``format_timestamp`` (exactly that form; anything else is refused)."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    if format_timestamp(moment) != text:
        raise ValueError(f"not a canonical timestamp: {text!r}")
    return moment


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class TargetAttempt(_Record):
    """One provider target the request was sent to, in order."""

    provider: str
    model: str
    outcome: Literal["ok", "error", "skipped"]
    status_code: SafeInt | None = None
    error_class: str | None = None
    latency_ms: float | None = None


class LimitDecision(_Record):
    """A rate-limit or budget check and what it decided (amounts as exact decimals)."""

    name: str  # e.g. "key.rpm", "tenant.tpm", "budget:<id>"
    decision: Literal["allowed", "limited", "reserved", "committed", "refunded", "alerted"]
    limit: Decimal | None = None
    used: Decimal | None = None
    amount: Decimal | None = None
    unit: str | None = None  # "requests", "tokens", "USD", ...


class GuardAction(_Record):
    """A detector finding and the action taken on it (offsets only, never the matched text)."""

    detector: str
    type: str
    direction: Literal["input", "output"]
    action: Literal["allowed", "flagged", "redacted", "blocked"]
    score: float
    start: Count | None = None
    end: Count | None = None


class Usage(_Record):
    prompt_tokens: Count = 0
    completion_tokens: Count = 0
    cached_tokens: Count = 0


class Outcome(_Record):
    status_code: SafeInt
    error_class: str | None = None
    fallback: bool = False
    served_from: str | None = None  # "cache" | "idempotency"
    latency_ms: float | None = None


class RegionPinning(_Record):
    """The regions a pinned call was allowed (the tenant's and the route's, intersected) and the
    region of the target that served it (None: nothing served it, or a fixed fallback answer)."""

    allowed: list[str]
    served: str | None = None


class _Event(_Record):
    event_id: str = Field(default_factory=_new_event_id, min_length=1, max_length=36)
    ts: datetime = Field(default_factory=_now)
    tenant_id: str | None = Field(default=None, max_length=36)

    @field_validator("ts")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("ts must be timezone-aware")
        return value.astimezone(UTC)


class DataPlaneEvent(_Event):
    """What the gateway decided for one request, and how it ended."""

    type: Literal["data_plane"] = "data_plane"
    request_id: str
    key_id: str | None = None
    endpoint: str
    model: str | None = None  # the alias the client asked for
    stream: bool = False
    targets: list[TargetAttempt] = Field(default_factory=list)
    limits: list[LimitDecision] = Field(default_factory=list)
    guard: list[GuardAction] = Field(default_factory=list)
    usage: Usage | None = None
    cost_usd: Decimal | None = None
    pricing_version: str | None = None
    outcome: Outcome
    # The call's OpenTelemetry trace (tracing on): 32 hex digits. Left out of the leaf when unset, so
    # events written before the field existed keep their hashes.
    trace_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    # Region pinning of the call; left out of the leaf when the call was not pinned (as trace_id).
    regions: RegionPinning | None = None


class ControlPlaneEvent(_Event):
    """Who changed what in the configuration of the installation or of a tenant."""

    type: Literal["control_plane"] = "control_plane"
    actor: str  # e.g. "user:<id>", "key:<id>", "cli"
    action: str  # e.g. "create", "update", "revoke", "delete"
    object_type: str
    object_id: str
    before: dict[str, JsonValue] | None = None  # free-form: checked for a canonical form when appended
    after: dict[str, JsonValue] | None = None
    source_ip: str | None = Field(default=None, max_length=45)


AuditEvent = Annotated[DataPlaneEvent | ControlPlaneEvent, Field(discriminator="type")]

_EVENT: TypeAdapter[DataPlaneEvent | ControlPlaneEvent] = TypeAdapter(AuditEvent)


def leaf_document(
    event: DataPlaneEvent | ControlPlaneEvent, seq: int, tenant_seq: int | None
) -> dict[str, Any]:
    """The object whose canonical JSON is the event's Merkle leaf."""
    document = event.model_dump(mode="json")
    for optional in ("trace_id", "regions"):
        if document.get(optional, "") is None:
            del document[optional]
    document["ts"] = format_timestamp(event.ts)
    document["v"] = LEAF_FORMAT_VERSION
    document["seq"] = seq
    document["tenant_seq"] = tenant_seq
    return document


def dump_event(event: DataPlaneEvent | ControlPlaneEvent) -> bytes:
    """The event as one JSON line's bytes (for the spool; not canonical, round-trips exactly)."""
    return event.model_dump_json().encode()


def load_event(data: bytes) -> DataPlaneEvent | ControlPlaneEvent:
    return _EVENT.validate_json(data)
