"""What ``/billing`` does for platform admins: plans, which tenant is on which, negotiated prices.

Plans are installation-wide. A tenant's plan and its pricing overrides are the tenant's rows, reached
through tenant-scoped repositories built with the tenant id of the path. An override change is a
configuration change: the gateways reload every tenant's prices (``TenantPrices.reload``) so that
records written from then on are priced with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from trueport.db.models import BillingPlan, PricingOverride, Tenant, TenantPlan, utcnow
from trueport.errors import ApiConflict, ApiNotFound
from trueport.platform.billing.repository import OverrideRepo, PlanRepo, TenantPlanRepo
from trueport.platform.billing.schemas import AssignPlan, OverrideIn, PlanIn, PlanPatch
from trueport.platform.context import UnitOfWork
from trueport.platform.pagination import PageQuery
from trueport.platform.tenants.repository import TenantAdminRepo


async def plan(work: UnitOfWork, plan_id: str) -> BillingPlan:
    found = await PlanRepo(work.session).get(plan_id)
    if found is None:
        raise ApiNotFound("no such plan", code="plan_not_found")
    return found


async def plans(work: UnitOfWork, query: PageQuery) -> tuple[list[BillingPlan], bool]:
    return await PlanRepo(work.session).page(query)


async def _unique_name(work: UnitOfWork, name: str, plan_id: str | None = None) -> None:
    same = await PlanRepo(work.session).named(name)
    if same is not None and same.id != plan_id:
        raise ApiConflict("a plan with this name exists", code="plan_name_taken")


async def create_plan(work: UnitOfWork, body: PlanIn) -> BillingPlan:
    await _unique_name(work, body.name)
    created = BillingPlan(**body.model_dump())
    work.session.add(created)
    await work.session.flush()
    return created


async def update_plan(work: UnitOfWork, plan_id: str, body: PlanPatch) -> BillingPlan:
    found = await plan(work, plan_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes:
        await _unique_name(work, changes["name"], found.id)
    for name, value in changes.items():
        setattr(found, name, value)
    await work.session.flush()
    return found


async def delete_plan(work: UnitOfWork, plan_id: str) -> None:
    found = await plan(work, plan_id)
    if await PlanRepo(work.session).assigned(found.id):
        raise ApiConflict("tenants are on this plan: move them first", code="plan_in_use")
    await work.session.delete(found)
    await work.session.flush()


async def tenant(work: UnitOfWork, tenant_id: str) -> Tenant:
    found = await TenantAdminRepo(work.session).get(tenant_id)
    if found is None:
        raise ApiNotFound("no such tenant", code="tenant_not_found")
    return found


async def assign_plan(work: UnitOfWork, tenant_id: str, body: AssignPlan) -> tuple[TenantPlan, BillingPlan]:
    await tenant(work, tenant_id)
    chosen = await plan(work, body.plan_id)
    repo = TenantPlanRepo(work.session, tenant_id)
    current = await repo.current()
    if current is None:
        current = repo.add(TenantPlan(plan_id=chosen.id, since=utcnow()))
    elif current.plan_id != chosen.id:
        current.plan_id, current.since = chosen.id, utcnow()
    await work.session.flush()
    return current, chosen


async def tenant_plans(work: UnitOfWork, tenant_ids: list[str]) -> list[tuple[TenantPlan, BillingPlan]]:
    return await PlanRepo(work.session).assignments(tenant_ids)


async def tenant_plan(work: UnitOfWork, tenant_id: str) -> tuple[TenantPlan, BillingPlan]:
    current = await TenantPlanRepo(work.session, tenant_id).current()
    if current is None:
        raise ApiNotFound("no billing plan is assigned", code="no_plan")
    return current, await plan(work, current.plan_id)


async def overrides(work: UnitOfWork, tenant_id: str) -> Sequence[PricingOverride]:
    rows = await OverrideRepo(work.session, tenant_id).all()
    return sorted(rows, key=lambda row: row.model)


async def set_override(work: UnitOfWork, tenant_id: str, body: OverrideIn) -> tuple[PricingOverride, bool]:
    """Create or replace the tenant's price for the model; True when it is new."""
    await tenant(work, tenant_id)
    repo = OverrideRepo(work.session, tenant_id)
    row = await repo.for_model(body.model)
    created = row is None
    if row is None:
        row = repo.add(PricingOverride(model=body.model))
    row.input_per_mtok = body.input_per_mtok
    row.output_per_mtok = body.output_per_mtok
    row.cached_input_per_mtok = body.cached_input_per_mtok
    await work.session.flush()
    work.config_changed()
    return row, created


async def delete_override(work: UnitOfWork, tenant_id: str, override_id: str) -> None:
    await tenant(work, tenant_id)
    repo = OverrideRepo(work.session, tenant_id)
    row = await repo.get(override_id)
    if row is None:
        raise ApiNotFound("no such pricing override", code="override_not_found")
    await repo.delete(row)
    await work.session.flush()
    work.config_changed()
