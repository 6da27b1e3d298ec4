"""What ``/usage`` does: read one tenant's request records, sum them up, export them.

The records are written by the gateways (``trueport.usage.writer``); the control plane only reads
them, always through the tenant-scoped ``RecordRepo``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from trueport.db.models import RequestRecord
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.pagination import PageQuery
from trueport.platform.tenancy import TenantContext
from trueport.platform.usage.export import MAX_ROWS, csv_text, filename
from trueport.platform.usage.filters import UsageFilters
from trueport.platform.usage.repository import RecordRepo
from trueport.platform.usage.schemas import RECORD_FIELDS, AggregateRow, Aggregates, GroupBy, format_usd


async def list_records(
    work: UnitOfWork, ctx: TenantContext, query: PageQuery, filters: UsageFilters
) -> tuple[list[RequestRecord], bool]:
    return await RecordRepo(work.session, ctx.tenant_id).page_filtered(query, filters)


async def aggregate(
    work: UnitOfWork, ctx: TenantContext, group_by: GroupBy, filters: UsageFilters
) -> Aggregates:
    rows = await RecordRepo(work.session, ctx.tenant_id).aggregate(group_by, filters)
    return Aggregates(
        group_by=group_by,
        since=filters.since,
        until=filters.until,
        rows=[
            AggregateRow(
                group=str(row.group) if row.group is not None else None,  # a date on PostgreSQL
                requests=int(row.requests),
                errors=int(row.errors),
                prompt_tokens=int(row.prompt_tokens),
                completion_tokens=int(row.completion_tokens),
                cached_tokens=int(row.cached_tokens),
                cost_usd=format_usd(row.cost_usd),
                avg_latency_ms=round(float(row.avg_latency_ms), 3)
                if row.avg_latency_ms is not None
                else None,
            )
            for row in rows
        ],
    )


@dataclass(frozen=True, slots=True)
class Export:
    filename: str
    rows: int  # what the file will hold
    truncated: bool  # more records matched than MAX_ROWS
    body: AsyncIterator[str]


async def export(work: UnitOfWork, platform: Platform, ctx: TenantContext, filters: UsageFilters) -> Export:
    """Counted first, so the response's headers can say how many rows follow and whether that is all.

    The rows are then read in their own session, as the response streams: the request's unit of work
    ends when the endpoint returns, before the body is sent. The count also caps the stream, so a
    record written meanwhile does not make the file disagree with its headers.
    """
    matching = await RecordRepo(work.session, ctx.tenant_id).count_upto(filters, MAX_ROWS + 1)
    rows = min(matching, MAX_ROWS)
    return Export(
        filename=filename(ctx.tenant.slug, filters.since, filters.until),
        rows=rows,
        truncated=matching > MAX_ROWS,
        body=csv_text(_batches(platform, ctx.tenant_id, filters, rows)),
    )


async def _batches(
    platform: Platform, tenant_id: str, filters: UsageFilters, rows: int
) -> AsyncIterator[list[tuple[object, ...]]]:
    if rows == 0:
        return
    async with platform.sessions() as session:
        async for batch in RecordRepo(session, tenant_id).stream(filters, RECORD_FIELDS, rows):
            yield [tuple(row) for row in batch]
