"""What ``/usage/timeseries`` and ``/usage/breakdown`` return, summed from the roll-ups."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"


class BreakdownBy(StrEnum):
    KEY = "key"
    MODEL = "model"  # the alias the client asked for (roll-ups are kept per alias)
    PROVIDER = "provider"


class Totals(BaseModel):
    requests: int
    errors: int = Field(description="Requests that ended with a status of 400 or more.")
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = Field(description="Part of `prompt_tokens`.")
    cost_usd: str = Field(description="US dollars, as a decimal string.")
    avg_latency_ms: float | None
    p50_ms: float | None = Field(
        description="Upper bound of the latency histogram bucket holding the median (see `buckets_ms`)."
    )
    p95_ms: float | None
    p99_ms: float | None
    violations: int = Field(description="Guard findings on these requests.")


class Point(Totals):
    bucket_start: datetime


class TimeSeries(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "granularity": "hour",
                    "since": "2025-05-01T00:00:00Z",
                    "until": "2025-05-02T00:00:00Z",
                    "buckets_ms": [5, 10, 25, 50, 100, 250, 500, 1000],
                    "points": [
                        {
                            "bucket_start": "2025-05-01T09:00:00Z",
                            "requests": 120,
                            "errors": 2,
                            "prompt_tokens": 24000,
                            "completion_tokens": 9000,
                            "cached_tokens": 3000,
                            "cost_usd": "0.00891",
                            "avg_latency_ms": 412.5,
                            "p50_ms": 500.0,
                            "p95_ms": 1000.0,
                            "p99_ms": 2500.0,
                            "violations": 1,
                        }
                    ],
                }
            ]
        }
    )

    granularity: Granularity
    since: datetime
    until: datetime = Field(description="Exclusive.")
    buckets_ms: list[int] = Field(description="Upper bounds of the latency histogram's buckets.")
    points: list[Point] = Field(description="One per bucket with requests, oldest first.")


class BreakdownRow(Totals):
    group: str | None = Field(description="The key id, alias or provider; null if none.")


class Breakdown(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "by": "provider",
                    "since": "2025-05-01T00:00:00Z",
                    "until": "2025-06-01T00:00:00Z",
                    "granularity": "day",
                    "rows": [],
                }
            ]
        }
    )

    by: BreakdownBy
    since: datetime
    until: datetime = Field(description="Exclusive.")
    granularity: Granularity = Field(
        description="The roll-ups summed: daily when the range is whole UTC days, hourly otherwise."
    )
    rows: list[BreakdownRow] = Field(description="Most requests first.")
    total: Totals = Field(
        description="The whole range (every row together), percentiles from the merged histograms.",
    )
