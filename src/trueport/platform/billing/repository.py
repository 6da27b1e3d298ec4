"""Queries of ``/billing``: plans are installation-wide; assignments and overrides are tenant-owned."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import BillingPlan, PricingOverride, TenantPlan
from trueport.platform.pagination import PageQuery
from trueport.platform.scoping import ScopedRepository


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class PlanRepo:
    """Billing plans (not tenant-owned: managed by platform admins for the whole installation)."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, plan_id: str) -> BillingPlan | None:
        return await self.session.get(BillingPlan, plan_id) if is_uuid(plan_id) else None

    async def named(self, name: str) -> BillingPlan | None:
        return (await self.session.execute(select(BillingPlan).where(BillingPlan.name == name))).scalar()

    async def page(self, query: PageQuery) -> tuple[list[BillingPlan], bool]:
        statement = select(BillingPlan)
        if query.cursor is not None:
            after_time, after_id = query.cursor
            statement = statement.where(
                or_(
                    BillingPlan.created_at > after_time,
                    and_(BillingPlan.created_at == after_time, BillingPlan.id > after_id),
                )
            )
        statement = statement.order_by(BillingPlan.created_at, BillingPlan.id).limit(query.limit + 1)
        rows = list((await self.session.execute(statement)).scalars())
        return rows[: query.limit], len(rows) > query.limit

    async def assignments(self, tenant_ids: list[str]) -> list[tuple[TenantPlan, BillingPlan]]:
        """The plans of these tenants (those on one), for the admins' list of tenants."""
        wanted = [tenant_id for tenant_id in tenant_ids if is_uuid(tenant_id)]
        if not wanted:
            return []
        statement = (
            select(TenantPlan, BillingPlan)  # tenant-scope: platform admins read tenants' plans
            .join(BillingPlan, BillingPlan.id == TenantPlan.plan_id)
            .where(TenantPlan.tenant_id.in_(wanted))
            .order_by(TenantPlan.tenant_id)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(statement)).all()]

    async def assigned(self, plan_id: str) -> int:
        """How many tenants are on the plan. Counts every tenant's rows: this is the plans' admin view."""
        in_use = select(func.count()).where(TenantPlan.plan_id == plan_id)  # tenant-scope: admin, all tenants
        count = await self.session.scalar(in_use)
        return int(count or 0)


class TenantPlanRepo(ScopedRepository[TenantPlan]):
    model = TenantPlan

    async def current(self) -> TenantPlan | None:
        return (await self.session.execute(self.select())).scalar_one_or_none()


class OverrideRepo(ScopedRepository[PricingOverride]):
    model = PricingOverride

    async def for_model(self, model: str) -> PricingOverride | None:
        return await self.first(PricingOverride.model == model)

    async def get(self, row_id: str) -> PricingOverride | None:
        return await super().get(row_id) if is_uuid(row_id) else None
