"""HTTP endpoints of ``/usage``: a tenant's request records, their sums, and a CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from trueport.platform.context import PlatformDep, Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext
from trueport.platform.usage import rollup_service, service
from trueport.platform.usage.export import MAX_ROWS
from trueport.platform.usage.filters import UsageFilters, time_range
from trueport.platform.usage.rollup_repository import RollupFilters
from trueport.platform.usage.rollup_schemas import Breakdown, BreakdownBy, Granularity, TimeSeries
from trueport.platform.usage.schemas import Aggregates, GroupBy, Outcome, RecordOut

router = APIRouter(prefix="/usage", tags=["usage"])

Reader = Annotated[TenantContext, Allowed(Permission.USAGE_READ)]
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"  # no control characters (PostgreSQL refuses NUL in text)


def usage_filters(
    since: Annotated[
        datetime | None,
        Query(description="ISO 8601, inclusive; a time without a zone is UTC. Default: `until` - 30 days."),
    ] = None,
    until: Annotated[
        datetime | None,
        Query(description="ISO 8601, exclusive. Default: now. At most 366 days after `since`."),
    ] = None,
    key_id: Annotated[
        str | None, Query(max_length=36, pattern=r"^[0-9A-Fa-f-]+$", description="Only this key's requests.")
    ] = None,
    alias: Annotated[
        str | None, Query(max_length=200, pattern=_PRINTABLE, description="Only this model alias.")
    ] = None,
    provider: Annotated[
        str | None, Query(max_length=100, pattern=_PRINTABLE, description="Only this provider.")
    ] = None,
    status: Annotated[
        Outcome | None, Query(description="`ok`: status below 400; `error`: 400 or more.")
    ] = None,
) -> UsageFilters:
    start, end = time_range(since, until)
    return UsageFilters(start, end, key_id=key_id, alias=alias, provider=provider, outcome=status)


Filters = Annotated[UsageFilters, Depends(usage_filters)]


@router.get("/records", summary="List request records", description="Oldest first, within the range.")
async def list_records(
    ctx: Reader, work: Work, filters: Filters, q: Annotated[PageQuery, Depends(page_query)]
) -> Page[RecordOut]:
    rows, more = await service.list_records(work, ctx, q, filters)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[RecordOut.of(record) for record in rows], next_cursor=cursor)


@router.get(
    "/aggregates",
    summary="Sum up request records",
    description="Requests, errors, tokens, cost and mean latency per UTC day, model alias, key or provider.",
)
async def aggregates(
    ctx: Reader,
    work: Work,
    filters: Filters,
    group_by: Annotated[GroupBy, Query(description="What each row sums up.")] = GroupBy.DAY,
) -> Aggregates:
    return await service.aggregate(work, ctx, group_by, filters)


@router.get(
    "/export.csv",
    summary="Export request records as CSV",
    description=(
        f"The records of `/usage/records` (same filters), oldest first, as RFC 4180 CSV with a header row. "
        f"At most {MAX_ROWS:,} rows: `X-Export-Rows` says how many the file holds and `X-Export-Truncated` "
        "is `true` when more matched (narrow the range to get the rest). Text cells that a spreadsheet "
        "would run as a formula (starting with `=`, `+`, `-` or `@`) are prefixed with `'`."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The records, streamed."}},
)
async def export_csv(ctx: Reader, work: Work, platform: PlatformDep, filters: Filters) -> StreamingResponse:
    export = await service.export(work, platform, ctx, filters)
    return StreamingResponse(
        export.body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "X-Export-Rows": str(export.rows),
            "X-Export-Truncated": "true" if export.truncated else "false",
            "Cache-Control": "no-store",
        },
    )


Since = Annotated[
    datetime | None,
    Query(description="ISO 8601; a time without a zone is UTC. Default: `until` - 30 days."),
]
Until = Annotated[
    datetime | None, Query(description="ISO 8601, exclusive. Default: now. At most 366 days after `since`.")
]


@router.get(
    "/timeseries",
    summary="Usage over time",
    description=(
        "Requests, errors, tokens, cost, latency percentiles and guard findings per UTC hour or day, "
        "from the roll-ups the gateways keep current as they write records. Every bucket that overlaps "
        "`[since, until)` is included whole. Percentiles are the upper bound (ms) of the latency "
        "histogram bucket that holds them (`buckets_ms`)."
    ),
)
async def timeseries(
    ctx: Reader,
    work: Work,
    since: Since = None,
    until: Until = None,
    granularity: Annotated[Granularity, Query(description="Bucket size.")] = Granularity.HOUR,
    key_id: Annotated[
        str | None, Query(max_length=36, pattern=r"^[0-9A-Fa-f-]+$", description="Only this key.")
    ] = None,
    alias: Annotated[
        str | None, Query(max_length=200, pattern=_PRINTABLE, description="Only this model alias.")
    ] = None,
    provider: Annotated[
        str | None, Query(max_length=100, pattern=_PRINTABLE, description="Only this provider.")
    ] = None,
) -> TimeSeries:
    start, end = time_range(since, until)
    filters = RollupFilters(granularity.value, start, end, key_id=key_id, alias=alias, provider=provider)
    return await rollup_service.timeseries(work, ctx, filters)


@router.get(
    "/breakdown",
    summary="Usage by key, model or provider",
    description=(
        "The same sums as `/usage/timeseries`, one row per key, model alias or provider over the range "
        "(daily roll-ups when the range is whole UTC days, hourly ones otherwise; buckets that overlap "
        "the range count whole)."
    ),
)
async def breakdown(
    ctx: Reader,
    work: Work,
    by: Annotated[BreakdownBy, Query(description="What each row sums up.")],
    since: Since = None,
    until: Until = None,
) -> Breakdown:
    start, end = time_range(since, until)
    return await rollup_service.breakdown(work, ctx, by, start, end)
