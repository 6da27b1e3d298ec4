"""The one place tenant-owned rows are queried from the control plane: every query is scoped.

``ScopedRepository(session, tenant_id)`` adds ``tenant_id == <resolved tenant>`` to every select,
sets it on every row it adds, and cannot fetch another tenant's row by id: a foreign id is simply
not found (the API answers 404). ``tests/platform/test_scoping.py`` checks that no control-plane
module selects a tenant-owned table without going through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import TENANT_OWNED, Base

if TYPE_CHECKING:  # (repositories run in serving processes too: FastAPI is the control plane's import)
    from trueport.platform.pagination import PageQuery

M = TypeVar("M", bound=Base)


class ScopedRepository(Generic[M]):
    """Queries on one tenant-owned model, always within one tenant."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession, tenant_id: str):
        if self.model not in TENANT_OWNED:
            raise TypeError(f"{self.model.__name__} is not a tenant-owned model")
        self.session = session
        self.tenant_id = tenant_id

    def select(self) -> Select[M]:
        """``SELECT model WHERE tenant_id = :tenant`` to build on."""
        statement: Select[M] = select(self.model).where(self.model.tenant_id == self.tenant_id)
        return statement

    async def get(self, row_id: str) -> M | None:
        result = await self.session.execute(self.select().where(self.model.id == row_id))
        return result.scalar_one_or_none()

    async def first(self, *conditions: ColumnElement[bool]) -> M | None:
        result = await self.session.execute(self.select().where(*conditions).limit(1))
        return result.scalars().first()

    async def all(self, *conditions: ColumnElement[bool]) -> Sequence[M]:
        result = await self.session.execute(self.select().where(*conditions))
        return result.scalars().all()

    async def page(self, query: PageQuery, *conditions: ColumnElement[bool]) -> tuple[list[M], bool]:
        """One page ordered by ``(created_at, id)``, and whether more rows follow."""
        created, row_id = self.model.created_at, self.model.id
        statement = self.select().where(*conditions)
        if query.cursor is not None:
            after_time, after_id = query.cursor
            statement = statement.where(
                or_(created > after_time, and_(created == after_time, row_id > after_id))
            )
        statement = statement.order_by(created, row_id).limit(query.limit + 1)
        rows = list((await self.session.execute(statement)).scalars())
        return rows[: query.limit], len(rows) > query.limit

    def add(self, row: M) -> M:
        row.tenant_id = self.tenant_id  # type: ignore[attr-defined]
        self.session.add(row)
        return row

    async def delete(self, row: M) -> None:
        if row.tenant_id != self.tenant_id:  # type: ignore[attr-defined]
            raise PermissionError("refusing to delete another tenant's row")
        await self.session.delete(row)
