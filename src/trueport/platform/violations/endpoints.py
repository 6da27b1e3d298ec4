"""HTTP endpoints of ``/violations``: what the guard found on a tenant's requests (never the text)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from trueport.platform.context import Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext
from trueport.platform.violations import service
from trueport.platform.violations.schemas import (
    ViolationFilter,
    ViolationOut,
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
