"""Queries on users. Users are not tenant-owned: memberships tie them to tenants."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import User


def normalize_email(email: str) -> str:
    """Addresses compare case-insensitively: stored and looked up stripped and lower-cased."""
    return email.strip().lower()


class UserRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, user_id: str) -> User | None:
        return await self.session.get(User, user_id)

    async def by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email == normalize_email(email)))
        return result.scalar_one_or_none()

    async def by_ids(self, user_ids: Collection[str]) -> dict[str, User]:
        if not user_ids:
            return {}
        result = await self.session.execute(select(User).where(User.id.in_(list(user_ids))))
        return {user.id: user for user in result.scalars()}

    async def all(self) -> list[User]:
        result = await self.session.execute(select(User).order_by(User.created_at, User.id))
        return list(result.scalars())

    def add(self, user: User) -> User:
        self.session.add(user)
        return user
