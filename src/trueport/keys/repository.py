"""Queries on virtual keys. Every query that takes a tenant is scoped to it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import ApiKey, Tenant


class KeyRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    def add(self, key: ApiKey) -> None:
        self._session.add(key)

    async def list_for_tenant(self, tenant_id: str) -> list[ApiKey]:
        result = await self._session.execute(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at)
        )
        return list(result.scalars())

    async def get_for_tenant(self, tenant_id: str, key_id: str) -> ApiKey | None:
        result = await self._session.execute(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
        )
        return result.scalar_one_or_none()

    async def active_with_tenants(self) -> Sequence[Row[ApiKey, Tenant]]:
        """Every unrevoked key of an enabled tenant, with its tenant (for the gateway's cache)."""
        result = await self._session.execute(
            select(ApiKey, Tenant)
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .where(ApiKey.revoked_at.is_(None), Tenant.disabled_at.is_(None))
        )
        return result.all()

    async def active_by_hash(self, key_hash: str) -> Row[ApiKey, Tenant] | None:
        result = await self._session.execute(
            select(ApiKey, Tenant)
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None), Tenant.disabled_at.is_(None))
        )
        return result.first()
