"""Queries of ``dead_letters`` (installation-level: no tenant scope, platform admins only)."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import DeadLetter
from trueport.platform.pagination import PageQuery


async def list_dead_letters(
    session: AsyncSession, q: PageQuery, kind: str | None
) -> tuple[list[DeadLetter], bool]:
    """Oldest first, a page of ``q.limit``; and whether there are more."""
    statement = select(DeadLetter).order_by(DeadLetter.created_at, DeadLetter.id).limit(q.limit + 1)
    if kind is not None:
        statement = statement.where(DeadLetter.kind == kind)
    if q.cursor is not None:
        at, row_id = q.cursor
        statement = statement.where(
            or_(DeadLetter.created_at > at, and_(DeadLetter.created_at == at, DeadLetter.id > row_id))
        )
    rows = list((await session.execute(statement)).scalars())
    return rows[: q.limit], len(rows) > q.limit
