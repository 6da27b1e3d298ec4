"""Queries on tenants."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import Tenant


class TenantRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def get_by_slug(self, slug: str) -> Tenant | None:
        result = await self._session.execute(select(Tenant).where(Tenant.slug == slug))
        return result.scalar_one_or_none()

    async def list(self) -> list[Tenant]:
        result = await self._session.execute(select(Tenant).order_by(Tenant.slug))
        return list(result.scalars())

    def add(self, tenant: Tenant) -> None:
        self._session.add(tenant)
