"""Queries on a tenant's model routes (always scoped to the tenant)."""

from __future__ import annotations

from trueport.db.models import TenantRoute
from trueport.platform.scoping import ScopedRepository


class RouteRepository(ScopedRepository[TenantRoute]):
    model = TenantRoute

    async def by_alias(self, alias: str) -> TenantRoute | None:
        return await self.first(TenantRoute.alias == alias)

    async def using_provider(self, provider: str) -> list[str]:
        """Aliases whose targets or fallback name ``provider`` (a tenant has few routes: read them all)."""
        return sorted(route.alias for route in await self.all() if provider in providers_of(route))


def providers_of(route: TenantRoute) -> set[str]:
    names = {target["provider"] for target in route.targets}
    if route.fallback is not None and route.fallback.get("provider"):
        names.add(route.fallback["provider"])
    return names
