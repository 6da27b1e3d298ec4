"""What ``/usage`` returns: request records and their aggregates. Costs are decimal strings (USD)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from trueport.db.models import RequestRecord


class GroupBy(StrEnum):
    DAY = "day"  # the UTC date
    MODEL = "model"  # the alias the client asked for
    KEY = "key"
    PROVIDER = "provider"


class Outcome(StrEnum):
    OK = "ok"  # status < 400
    ERROR = "error"


def format_usd(value: Decimal | float | int | None) -> str:
    """The same string for the same amount on every backend: at most 10 decimals, no trailing zeros."""
    amount = Decimal(str(value)) if value is not None else Decimal(0)
    return format(amount.quantize(Decimal("1e-10")).normalize(), "f")


class RecordOut(BaseModel):
    """One data-plane request: never its content, only what it was, how it went and what it cost."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0c7f0e-6f1d-4c9e-8d39-2b7c9e3f4a10",
                    "created_at": "2025-05-01T09:30:00.120000Z",
                    "key_id": "0f6a3c52-8f0e-4d8e-9a57-3b3c1f0d2a11",
                    "endpoint": "/v1/chat/completions",
                    "alias": "gpt-4o-mini",
                    "provider": "openai",
                    "upstream_model": "gpt-4o-mini",
                    "stream": False,
                    "status_code": 200,
                    "error_class": None,
                    "attempts": 1,
                    "fallback": False,
                    "served_from": None,
                    "latency_ms": 412.5,
                    "ttft_ms": None,
                    "prompt_tokens": 120,
                    "completion_tokens": 48,
                    "cached_tokens": 0,
                    "cost_usd": "0.0000468",
                    "pricing_version": "2025-04-01",
                }
            ]
        }
    )

    id: str = Field(description="The request id (the `x-request-id` the client received).")
    created_at: datetime
    key_id: str | None
    endpoint: str
    alias: str | None = Field(description="The model alias the client asked for.")
    provider: str | None
    upstream_model: str | None
    stream: bool
    status_code: int
    error_class: str | None
    attempts: int
    fallback: bool
    served_from: str | None = Field(description="`cache` or `idempotency` when no provider was called.")
    latency_ms: float
    ttft_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: str = Field(description="US dollars, as a decimal string.")
    pricing_version: str | None

    @classmethod
    def of(cls, record: RequestRecord) -> RecordOut:
        values: dict[str, Any] = {name: getattr(record, name) for name in RECORD_FIELDS}
        values["cost_usd"] = format_usd(record.cost_usd)
        return cls(**values)


RECORD_FIELDS: tuple[str, ...] = tuple(RecordOut.model_fields)
"""The columns of a record as the API and the CSV export show them, in order."""


class AggregateRow(BaseModel):
    group: str | None = Field(
        description="The day (YYYY-MM-DD, UTC), alias, key id or provider; null if unknown."
    )
    requests: int
    errors: int = Field(description="Requests that ended with a status of 400 or more.")
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: str
    avg_latency_ms: float | None


class Aggregates(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group_by": "day",
                    "since": "2025-04-01T00:00:00Z",
                    "until": "2025-05-01T00:00:00Z",
                    "rows": [
                        {
                            "group": "2025-04-30",
                            "requests": 1520,
                            "errors": 12,
                            "prompt_tokens": 250000,
                            "completion_tokens": 98000,
                            "cached_tokens": 40000,
                            "cost_usd": "0.0963",
                            "avg_latency_ms": 640.125,
                        }
                    ],
                }
            ]
        }
    )

    group_by: GroupBy
    since: datetime
    until: datetime = Field(description="Exclusive.")
    rows: list[AggregateRow]
