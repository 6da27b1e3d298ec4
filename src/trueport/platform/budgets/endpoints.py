"""HTTP endpoints of ``/budgets``: spending limits of the tenant and of its keys, and their status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from trueport.platform.budgets import service
from trueport.platform.budgets.schemas import BudgetCreate, BudgetOut, BudgetStatusOut, BudgetUpdate
from trueport.platform.context import PlatformDep, Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/budgets", tags=["budgets"])

Reader = Annotated[TenantContext, Allowed(Permission.BUDGETS_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.BUDGETS_WRITE)]


@router.get("", summary="List budgets")
async def list_budgets(
    ctx: Reader, work: Work, q: Annotated[PageQuery, Depends(page_query)]
) -> Page[BudgetOut]:
    rows, more = await service.list_budgets(work, ctx, q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[BudgetOut.of(row) for row in rows], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    summary="Create a budget",
    description=(
        "A budget of the tenant (`key_id` null) or of one of its keys, in USD or tokens, per calendar "
        "day, ISO week or month in `timezone`, or in total. Gateways enforce it within seconds: a hard "
        "budget refuses requests whose worst-case cost does not fit with 402 `budget_exceeded`."
    ),
)
async def create_budget(ctx: Writer, work: Work, body: BudgetCreate) -> BudgetOut:
    return BudgetOut.of(await service.create_budget(work, ctx, body))


@router.get("/{budget_id}", summary="Read a budget")
async def read_budget(ctx: Reader, work: Work, budget_id: str) -> BudgetOut:
    return BudgetOut.of(await service.find_budget(work, ctx, budget_id))


@router.patch(
    "/{budget_id}",
    summary="Change a budget",
    description="Only the fields sent change; the unit, period and key are fixed.",
)
async def update_budget(ctx: Writer, work: Work, budget_id: str, body: BudgetUpdate) -> BudgetOut:
    return BudgetOut.of(await service.update_budget(work, ctx, budget_id, body))


@router.delete("/{budget_id}", status_code=204, summary="Delete a budget", response_class=Response)
async def delete_budget(ctx: Writer, work: Work, budget_id: str) -> Response:
    await service.delete_budget(work, ctx, budget_id)
    return Response(status_code=204)


@router.get(
    "/{budget_id}/status",
    summary="Current period of a budget",
    description="Spent, reserved by requests in flight, remaining, and the alerts already sent.",
)
async def budget_status(ctx: Reader, work: Work, platform: PlatformDep, budget_id: str) -> BudgetStatusOut:
    return await service.budget_status(work, platform, ctx, budget_id)
