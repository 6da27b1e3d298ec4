"""Queries on tenants for platform admins (tenants are not tenant-owned: admins see them all)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import Tenant
from trueport.platform.pagination import PageQuery


class TenantAdminRepo:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, tenant_id: str) -> Tenant | None:
        """The tenant with this id; None for an unknown or malformed id (never sent to the database)."""
        try:
            uuid.UUID(tenant_id)
        except ValueError:
            return None
        return await self.session.get(Tenant, tenant_id)

    async def page(self, query: PageQuery) -> tuple[list[Tenant], bool]:
        """One page ordered by ``(created_at, id)``, and whether more rows follow."""
        statement = select(Tenant)
        if query.cursor is not None:
            after_time, after_id = query.cursor
            statement = statement.where(
                or_(
                    Tenant.created_at > after_time,
                    and_(Tenant.created_at == after_time, Tenant.id > after_id),
                )
            )
        statement = statement.order_by(Tenant.created_at, Tenant.id).limit(query.limit + 1)
        rows = list((await self.session.execute(statement)).scalars())
        return rows[: query.limit], len(rows) > query.limit
