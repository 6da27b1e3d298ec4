"""HTTP endpoints of ``/billing``.

Tenants (``billing:read``) see their plan, their negotiated prices, an invoice preview and a usage
export. Plans, plan assignment and pricing overrides are negotiated with the operator, so only
platform admins change them, under ``/billing/admin/...`` (a tenant's own admin cannot lower its
prices).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from trueport.platform.billing import invoice, service
from trueport.platform.billing.schemas import (
    PERIOD,
    AssignPlan,
    ExportFormat,
    InvoicePreview,
    OverrideIn,
    OverrideOut,
    PlanIn,
    PlanOut,
    PlanPatch,
    TenantPlanOut,
)
from trueport.platform.context import Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.principal import PlatformAdmin
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/billing", tags=["billing"])

Reader = Annotated[TenantContext, Allowed(Permission.BILLING_READ)]
PeriodQuery = Annotated[str, Query(pattern=PERIOD, description="A calendar month (UTC), `YYYY-MM`.")]


@router.get("/plan", summary="The tenant's billing plan")
async def my_plan(ctx: Reader, work: Work) -> TenantPlanOut:
    return TenantPlanOut.of(*await service.tenant_plan(work, ctx.tenant_id))


@router.get(
    "/pricing", summary="The tenant's negotiated prices", description="Per upstream model, USD per 1M tokens."
)
async def my_pricing(ctx: Reader, work: Work) -> list[OverrideOut]:
    return [OverrideOut.of(row) for row in await service.overrides(work, ctx.tenant_id)]


@router.get(
    "/invoice-preview",
    summary="Preview the invoice of a month",
    description="Computed from the usage roll-ups and the tenant's current plan (404 `no_plan` without one).",
)
async def invoice_preview(ctx: Reader, work: Work, period: PeriodQuery) -> InvoicePreview:
    _, plan = await service.tenant_plan(work, ctx.tenant_id)
    month = invoice.Period.parse(period)
    return invoice.preview(plan, month, await invoice.day_rollups(work.session, ctx.tenant_id, month))


@router.get(
    "/usage-export",
    summary="Export a month's usage for a billing system",
    description=(
        "One line per UTC day, key, model alias and provider with requests, tokens and cost: CSV with "
        "a header row, or JSON lines. Empty key, alias or provider means none."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
async def usage_export(
    ctx: Reader,
    work: Work,
    period: PeriodQuery,
    format: Annotated[ExportFormat, Query(description="`csv` or `jsonl`.")] = ExportFormat.CSV,
) -> StreamingResponse:
    month = invoice.Period.parse(period)
    rows = await invoice.day_rollups(work.session, ctx.tenant_id, month)
    media = "text/csv; charset=utf-8" if format is ExportFormat.CSV else "application/x-ndjson"
    name = f"usage-{ctx.tenant.slug}-{period}.{format.value}"
    return StreamingResponse(
        invoice.export_lines(rows, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


# Platform admins.


@router.get("/admin/plans", summary="List billing plans (platform admins)")
async def list_plans(
    _: PlatformAdmin, work: Work, q: Annotated[PageQuery, Depends(page_query)]
) -> Page[PlanOut]:
    rows, more = await service.plans(work, q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[PlanOut.of(row) for row in rows], next_cursor=cursor)


@router.post("/admin/plans", status_code=201, summary="Create a billing plan (platform admins)")
async def create_plan(_: PlatformAdmin, work: Work, body: PlanIn) -> PlanOut:
    return PlanOut.of(await service.create_plan(work, body))


@router.get("/admin/plans/{plan_id}", summary="Get a billing plan (platform admins)")
async def get_plan(_: PlatformAdmin, work: Work, plan_id: str) -> PlanOut:
    return PlanOut.of(await service.plan(work, plan_id))


@router.patch("/admin/plans/{plan_id}", summary="Change a billing plan (platform admins)")
async def update_plan(_: PlatformAdmin, work: Work, plan_id: str, body: PlanPatch) -> PlanOut:
    return PlanOut.of(await service.update_plan(work, plan_id, body))


@router.delete(
    "/admin/plans/{plan_id}",
    status_code=204,
    summary="Delete a billing plan (platform admins)",
    description="409 `plan_in_use` while tenants are on it.",
)
async def delete_plan(_: PlatformAdmin, work: Work, plan_id: str) -> Response:
    await service.delete_plan(work, plan_id)
    return Response(status_code=204)


@router.get(
    "/admin/tenant-plans",
    summary="The plans of some tenants (platform admins)",
    description="One entry per named tenant that is on a plan (tenants on none, or unknown, are left out).",
)
async def list_tenant_plans(
    _: PlatformAdmin,
    work: Work,
    tenant_id: Annotated[list[str], Query(max_length=100, description="Tenant ids, at most 100.")],
) -> list[TenantPlanOut]:
    return [TenantPlanOut.of(*pair) for pair in await service.tenant_plans(work, tenant_id)]


@router.put("/admin/tenants/{tenant_id}/plan", summary="Put a tenant on a plan (platform admins)")
async def assign_plan(_: PlatformAdmin, work: Work, tenant_id: str, body: AssignPlan) -> TenantPlanOut:
    return TenantPlanOut.of(*await service.assign_plan(work, tenant_id, body))


@router.get("/admin/tenants/{tenant_id}/pricing", summary="A tenant's negotiated prices (platform admins)")
async def tenant_pricing(_: PlatformAdmin, work: Work, tenant_id: str) -> list[OverrideOut]:
    await service.tenant(work, tenant_id)
    return [OverrideOut.of(row) for row in await service.overrides(work, tenant_id)]


@router.post(
    "/admin/tenants/{tenant_id}/pricing",
    summary="Set a tenant's price for a model (platform admins)",
    description=(
        "Creates the override (201) or replaces the one for the same model (200). The model name is in "
        "the body because it may hold `/` and `:`. Gateways price new records with it within moments."
    ),
    status_code=201,
    responses={200: {"description": "Replaced the existing override for this model."}},
)
async def set_pricing(
    _: PlatformAdmin, work: Work, tenant_id: str, body: OverrideIn, response: Response
) -> OverrideOut:
    row, created = await service.set_override(work, tenant_id, body)
    if not created:
        response.status_code = 200
    return OverrideOut.of(row)


@router.delete(
    "/admin/tenants/{tenant_id}/pricing/{override_id}",
    status_code=204,
    summary="Remove a tenant's negotiated price (platform admins)",
)
async def delete_pricing(_: PlatformAdmin, work: Work, tenant_id: str, override_id: str) -> Response:
    await service.delete_override(work, tenant_id, override_id)
    return Response(status_code=204)
