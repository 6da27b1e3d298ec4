"""Usage roll-ups: request records summed per hour and per day, kept current by the record writer.

A batch of records is summed in Python first (one delta per roll-up row it touches), then applied in
the same transaction as the records themselves, so roll-ups and records never disagree.

Several gateway replicas write at once, and the latency histogram is a JSON object that the database
cannot add to by itself. Each batch therefore, in primary-key order (so two writers never deadlock):

1. inserts the rows it touches that do not exist yet, as zeros (``ON CONFLICT DO NOTHING``);
2. locks them (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite already holds its database-wide write
   lock since the records' insert) and reads their histograms;
3. upserts each row (``ON CONFLICT DO UPDATE``): the counters add the deltas in SQL, the histogram is
   the merge made in Python while the row is locked.

A concurrent writer of the same row waits at step 1 or 2 until this transaction commits, then reads
the committed histogram: no count is lost. Records without a tenant (refused before authentication)
are not rolled up.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import UsageRollup

# Upper bounds (ms) of the latency histogram's buckets; a latency above the last one counts as "inf".
LATENCY_BOUNDS_MS: tuple[int, ...] = (
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000,
)  # fmt: skip
OVERFLOW = "inf"
GRANULARITIES = ("hour", "day")
_TABLE: Table = UsageRollup.__table__  # type: ignore[assignment]
_KEY_COLUMNS = ("tenant_id", "granularity", "bucket_start", "key_id", "alias", "provider")
_COUNTERS = ("requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens", "violations")

RollupKey = tuple[str, str, datetime, str, str, str]


def latency_bucket(latency_ms: float) -> str:
    """The histogram bucket of a latency: the smallest bound it does not exceed, or ``inf``."""
    index = bisect.bisect_left(LATENCY_BOUNDS_MS, latency_ms)
    return str(LATENCY_BOUNDS_MS[index]) if index < len(LATENCY_BOUNDS_MS) else OVERFLOW


def bucket_start(at: datetime, granularity: str) -> datetime:
    """The UTC hour or day that ``at`` falls in (timestamps are UTC-aware throughout)."""
    hour = at.replace(minute=0, second=0, microsecond=0)
    return hour if granularity == "hour" else hour.replace(hour=0)


def percentile(buckets: Mapping[str, int], q: float) -> float | None:
    """The upper bound of the bucket holding the ``q`` quantile (nearest rank); None without data.

    A quantile in the overflow bucket is reported as the last bound: a lower bound of the truth."""
    total = sum(buckets.values())
    if total == 0:
        return None
    rank = max(1, -(-int(q * 1000) * total // 1000))  # ceil(q * total), exact for q in thousandths
    seen = 0
    for bound in LATENCY_BOUNDS_MS:
        seen += buckets.get(str(bound), 0)
        if seen >= rank:
            return float(bound)
    return float(LATENCY_BOUNDS_MS[-1])


def merge_buckets(into: dict[str, int], other: Mapping[str, int]) -> dict[str, int]:
    for name, count in other.items():
        into[name] = into.get(name, 0) + int(count)
    return into


@dataclass(slots=True)
class Delta:
    """What one batch adds to one roll-up row."""

    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    violations: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms_sum: float = 0.0
    latency_buckets: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RolledRecord:
    """The fields of a request record that roll-ups sum (the writer's row, cost already computed)."""

    tenant_id: str
    created_at: datetime
    key_id: str
    alias: str
    provider: str
    status_code: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: Decimal
    latency_ms: float
    violations: int

    @classmethod
    def of(cls, row: Mapping[str, Any], violations: int) -> RolledRecord | None:
        if row["tenant_id"] is None:
            return None
        return cls(
            tenant_id=row["tenant_id"],
            created_at=row["created_at"],
            key_id=row["key_id"] or "",
            alias=row["alias"] or "",
            provider=row["provider"] or "",
            status_code=row["status_code"],
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            cached_tokens=row["cached_tokens"],
            cost_usd=row["cost_usd"],
            latency_ms=row["latency_ms"],
            violations=violations,
        )


def summarize(records: Iterable[RolledRecord]) -> dict[RollupKey, Delta]:
    """One delta per (tenant, granularity, bucket, key, alias, provider) the records touch."""
    deltas: dict[RollupKey, Delta] = {}
    for record in records:
        for granularity in GRANULARITIES:
            key: RollupKey = (
                record.tenant_id,
                granularity,
                bucket_start(record.created_at, granularity),
                record.key_id,
                record.alias,
                record.provider,
            )
            delta = deltas.get(key)
            if delta is None:
                delta = deltas[key] = Delta()
            delta.requests += 1
            delta.errors += record.status_code >= 400
            delta.prompt_tokens += record.prompt_tokens
            delta.completion_tokens += record.completion_tokens
            delta.cached_tokens += record.cached_tokens
            delta.violations += record.violations
            delta.cost_usd += record.cost_usd
            delta.latency_ms_sum += record.latency_ms
            bucket = latency_bucket(record.latency_ms)
            delta.latency_buckets[bucket] = delta.latency_buckets.get(bucket, 0) + 1
    return deltas


def _insert(dialect: str) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(_TABLE)
    return sqlite.insert(_TABLE)


def _zero_row(key: RollupKey) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(_KEY_COLUMNS, key, strict=True))
    row.update({name: 0 for name in _COUNTERS})
    row.update(cost_usd=Decimal(0), latency_ms_sum=0.0, latency_buckets={})
    return row


async def apply(session: AsyncSession, deltas: Mapping[RollupKey, Delta]) -> None:
    """Add the deltas to the roll-ups inside the caller's transaction (see the module's docstring)."""
    if not deltas:
        return
    dialect = session.get_bind().dialect.name
    keys: Sequence[RollupKey] = sorted(deltas)
    await session.execute(_insert(dialect).on_conflict_do_nothing(), [_zero_row(key) for key in keys])
    current = await _locked_histograms(session, keys, dialect)
    upsert = _insert(dialect)
    excluded = upsert.excluded
    statement = upsert.on_conflict_do_update(
        index_elements=[_TABLE.c[name] for name in _KEY_COLUMNS],
        set_={
            **{name: _TABLE.c[name] + excluded[name] for name in (*_COUNTERS, "cost_usd", "latency_ms_sum")},
            "latency_buckets": excluded.latency_buckets,
        },
    )
    rows = []
    for key in keys:
        delta = deltas[key]
        row = dict(zip(_KEY_COLUMNS, key, strict=True))
        row.update({name: getattr(delta, name) for name in (*_COUNTERS, "cost_usd")})
        row["latency_ms_sum"] = round(delta.latency_ms_sum, 3)
        row["latency_buckets"] = merge_buckets(dict(current.get(key, {})), delta.latency_buckets)
        rows.append(row)
    await session.execute(statement, rows)  # one upsert per row, sent as one executemany


async def _locked_histograms(
    session: AsyncSession, keys: Sequence[RollupKey], dialect: str
) -> dict[RollupKey, dict[str, int]]:
    key_columns = [_TABLE.c[name] for name in _KEY_COLUMNS]
    found: dict[RollupKey, dict[str, int]] = {}
    for start in range(0, len(keys), 200):  # bounded statement size
        chunk = keys[start : start + 200]
        # Not a tenant-scoped control-plane query: the gateway's writer updates every tenant's rows.
        statement = (
            select(*key_columns, _TABLE.c.latency_buckets)
            .where(tuple_(*key_columns).in_(chunk))
            .order_by(*key_columns)
        )
        if dialect == "postgresql":
            statement = statement.with_for_update()
        for row in (await session.execute(statement)).all():
            found[tuple(row[:6])] = dict(row[6] or {})
    return found
