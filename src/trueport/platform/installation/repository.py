"""Installation-wide sums of the usage roll-ups, one row per tenant (platform admins only).

The one place the control plane reads across tenants' usage, and only totals: no record, key or
model of a tenant leaves it here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import Tenant, UsageRollup


class InstallationUsageRepo:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def per_tenant(self, since: datetime, until: datetime) -> Sequence[Any]:
        """Hourly buckets starting in ``[since, until)``, summed per tenant, the costliest first."""
        cost = func.coalesce(func.sum(UsageRollup.cost_usd), 0).label("cost_usd")
        statement = (
            select(  # tenant-scope: installation-wide totals per tenant, for platform admins
                Tenant.id,
                Tenant.slug,
                Tenant.name,
                func.coalesce(func.sum(UsageRollup.requests), 0).label("requests"),
                func.coalesce(func.sum(UsageRollup.errors), 0).label("errors"),
                func.coalesce(func.sum(UsageRollup.prompt_tokens), 0).label("prompt_tokens"),
                func.coalesce(func.sum(UsageRollup.completion_tokens), 0).label("completion_tokens"),
                cost,
                func.coalesce(func.sum(UsageRollup.violations), 0).label("violations"),
            )
            .join(Tenant, Tenant.id == UsageRollup.tenant_id)
            .where(
                UsageRollup.granularity == "hour",
                UsageRollup.bucket_start >= since,
                UsageRollup.bucket_start < until,
            )
            .group_by(Tenant.id, Tenant.slug, Tenant.name)
            .order_by(cost.desc(), Tenant.slug)
        )
        return list((await self.session.execute(statement)).all())
