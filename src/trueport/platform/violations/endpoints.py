"""HTTP endpoints of ``/violations``: what the guard found on a tenant's requests (never the text)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from trueport.platform.context import Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext
from trueport.platform.usage.rollup_schemas import Granularity
from trueport.platform.violations import service
from trueport.platform.violations.schemas import (
    ViolationFilter,
    ViolationOut,
    ViolationSeries,
    ViolationSummary,
    violation_filter,
)

router = APIRouter(prefix="/violations", tags=["violations"])

Auditor = Annotated[TenantContext, Allowed(Permission.AUDIT_READ)]


@router.get(
    "",
    summary="List guard violations",
    description="Oldest first within the filters; each names its request, detector, finding type, "
    "action and the policy version that decided it.",
)
async def list_violations(
    ctx: Auditor,
    work: Work,
    q: Annotated[PageQuery, Depends(page_query)],
    filters: Annotated[ViolationFilter, Depends(violation_filter)],
) -> Page[ViolationOut]:
    rows, more = await service.list_violations(work, ctx, q, filters)
    cursor = encode_cursor(rows[-1].created_at, str(rows[-1].id)) if more else None
    return Page(data=[ViolationOut.of(row) for row in rows], next_cursor=cursor)


@router.get("/summary", summary="Count guard violations")
async def summarize_violations(
    ctx: Auditor,
    work: Work,
    since: Annotated[
        AwareDatetime | None, Query(description="From this time on; default: 30 days before `until`.")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="Before this time; default: now.")] = None,
) -> ViolationSummary:
    return await service.summarize(work, ctx, since, until)


@router.get(
    "/timeseries",
    summary="Guard violations over time",
    description=(
        "Violations per UTC hour or day within `[since, until)`, enforced ones per action (`block`, "
        "`redact`, `flag`) and shadow-mode ones apart; only buckets with violations are listed. The "
        "range is read as `/usage/timeseries` reads it (a time without a zone is UTC; default: the 30 "
        "days before `until`; at most 366 days; 400 `invalid_range` or `range_too_long` otherwise)."
    ),
)
async def violation_timeseries(
    ctx: Auditor,
    work: Work,
    since: Annotated[
        datetime | None,
        Query(description="ISO 8601, inclusive; a time without a zone is UTC. Default: `until` - 30 days."),
    ] = None,
    until: Annotated[
        datetime | None,
        Query(description="ISO 8601, exclusive. Default: now. At most 366 days after `since`."),
    ] = None,
    granularity: Annotated[Granularity, Query(description="Bucket size.")] = Granularity.HOUR,
) -> ViolationSeries:
    return await service.timeseries(work, ctx, granularity, since, until)
