"""Time series and breakdowns of a tenant's usage, summed from the roll-ups the record writer keeps.

A roll-up covers a whole UTC hour or day, so a query covers every bucket that overlaps
``[since, until)``: ``since`` is moved back to its bucket's start. Percentiles come from the merged
latency histograms (the upper bound of the bucket that holds them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from trueport.db.models import UsageRollup
from trueport.platform.context import UnitOfWork
from trueport.platform.tenancy import TenantContext
from trueport.platform.usage.rollup_repository import RollupFilters, RollupRepo
from trueport.platform.usage.rollup_schemas import (
    Breakdown,
    BreakdownBy,
    BreakdownRow,
    Granularity,
    Point,
    TimeSeries,
    Totals,
)
from trueport.platform.usage.schemas import format_usd
from trueport.usage.rollups import LATENCY_BOUNDS_MS, bucket_start, merge_buckets, percentile

K = TypeVar("K")


@dataclass(slots=True)
class _Sum:
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    violations: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms_sum: float = 0.0
    buckets: dict[str, int] = field(default_factory=dict)

    def add(self, row: UsageRollup) -> None:
        self.requests += row.requests
        self.errors += row.errors
        self.prompt_tokens += row.prompt_tokens
        self.completion_tokens += row.completion_tokens
        self.cached_tokens += row.cached_tokens
        self.violations += row.violations
        self.cost_usd += Decimal(row.cost_usd)
        self.latency_ms_sum += float(row.latency_ms_sum)
        merge_buckets(self.buckets, row.latency_buckets or {})

    def totals(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "cost_usd": format_usd(self.cost_usd),
            "avg_latency_ms": round(self.latency_ms_sum / self.requests, 3) if self.requests else None,
            "p50_ms": percentile(self.buckets, 0.5),
            "p95_ms": percentile(self.buckets, 0.95),
            "p99_ms": percentile(self.buckets, 0.99),
            "violations": self.violations,
        }


def _sum_by(rows: Iterable[UsageRollup], group: Callable[[UsageRollup], K]) -> dict[K, _Sum]:
    sums: dict[K, _Sum] = {}
    for row in rows:
        sums.setdefault(group(row), _Sum()).add(row)
    return sums


def covering(filters: RollupFilters) -> RollupFilters:
    return replace(filters, since=bucket_start(filters.since, filters.granularity))


async def timeseries(work: UnitOfWork, ctx: TenantContext, filters: RollupFilters) -> TimeSeries:
    rows = await RollupRepo(work.session, ctx.tenant_id).rows(covering(filters))
    sums = _sum_by(rows, lambda row: row.bucket_start)
    return TimeSeries(
        granularity=Granularity(filters.granularity),
        since=filters.since,
        until=filters.until,
        buckets_ms=list(LATENCY_BOUNDS_MS),
        points=[Point(bucket_start=start, **sums[start].totals()) for start in sorted(sums)],
    )


def whole_days(since: datetime, until: datetime) -> bool:
    return bucket_start(since, "day") == since and bucket_start(until, "day") == until


_GROUPS: dict[BreakdownBy, Callable[[UsageRollup], str]] = {
    BreakdownBy.KEY: lambda row: row.key_id,
    BreakdownBy.MODEL: lambda row: row.alias,
    BreakdownBy.PROVIDER: lambda row: row.provider,
}


async def breakdown(
    work: UnitOfWork, ctx: TenantContext, by: BreakdownBy, since: datetime, until: datetime
) -> Breakdown:
    granularity = Granularity.DAY if whole_days(since, until) else Granularity.HOUR
    filters = covering(RollupFilters(granularity.value, since, until))
    rows = await RollupRepo(work.session, ctx.tenant_id).rows(filters)
    sums = _sum_by(rows, _GROUPS[by])
    total = _Sum()
    for row in rows:
        total.add(row)
    ordered = sorted(sums.items(), key=lambda item: (-item[1].requests, item[0]))
    return Breakdown(
        by=by,
        since=since,
        until=until,
        granularity=granularity,
        rows=[BreakdownRow(group=group or None, **part.totals()) for group, part in ordered],
        total=Totals(**total.totals()),
    )
