"""Queries on users for platform admins (users are not tenant-owned: admins see them all)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import User
from trueport.platform.pagination import PageQuery


def _like(text: str) -> str:
    """A ``LIKE`` pattern matching ``text`` anywhere, its wildcards taken literally (escape ``\\``)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class UserAdminRepo:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, user_id: str) -> User | None:
        """The user with this id; None for an unknown or malformed id (never sent to the database)."""
        try:
            uuid.UUID(user_id)
        except ValueError:
            return None
        return await self.session.get(User, user_id)

    async def page(self, query: PageQuery, search: str | None) -> tuple[list[User], bool]:
        """One page ordered by ``(created_at, id)``; ``search`` matches the address or the name."""
        statement = select(User)
        if search:
            pattern = _like(search)
            statement = statement.where(
                or_(User.email.like(pattern, escape="\\"), func.lower(User.name).like(pattern, escape="\\"))
            )
        if query.cursor is not None:
            after_time, after_id = query.cursor
            statement = statement.where(
                or_(User.created_at > after_time, and_(User.created_at == after_time, User.id > after_id))
            )
        statement = statement.order_by(User.created_at, User.id).limit(query.limit + 1)
        rows = list((await self.session.execute(statement)).scalars())
        return rows[: query.limit], len(rows) > query.limit

    async def active_platform_admins(self) -> list[User]:
        """Enabled platform admins, locked until the commit where the database can (PostgreSQL), so two
        admins revoking each other at once cannot both succeed."""
        statement = (
            select(User)
            .where(User.is_platform_admin.is_(True), User.disabled_at.is_(None))
            .order_by(User.id)
            .with_for_update()
        )
        return list((await self.session.execute(statement)).scalars())
