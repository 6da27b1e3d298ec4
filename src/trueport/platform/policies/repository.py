"""The control plane's queries on stored policy versions, always within the caller's tenant."""

from __future__ import annotations

from trueport.db.models import TenantPolicy
from trueport.platform.scoping import ScopedRepository


class PolicyRepo(ScopedRepository[TenantPolicy]):
    model = TenantPolicy

    async def latest(self) -> TenantPolicy | None:
        """The active version (the highest), or None when the tenant never saved a policy."""
        statement = self.select().order_by(TenantPolicy.version.desc()).limit(1)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def version(self, version: int) -> TenantPolicy | None:
        return await self.first(TenantPolicy.version == version)
