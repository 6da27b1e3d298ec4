"""What ``GET /admin/dead-letters`` returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from trueport.db.models import DeadLetter
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
