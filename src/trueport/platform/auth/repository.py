"""Queries on refresh tokens and password resets (users' own rows, not tenant-owned).

The "use once" updates are conditional (``... WHERE used_at IS NULL``) and report whether they
changed the row: of two requests presenting the same token at the same moment, exactly one wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import PasswordReset, RefreshToken


class RefreshTokens:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def by_digest(self, digest: str) -> RefreshToken | None:
        result = await self.session.execute(select(RefreshToken).where(RefreshToken.token_hash == digest))
        return result.scalar_one_or_none()

    def add(self, token: RefreshToken) -> RefreshToken:
        self.session.add(token)
        return token

    async def use(self, token_id: str, now: datetime) -> bool:
        """Mark the token used if it is still usable; False if another request used or revoked it first."""
        statement = (
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None)
            )
            .values(used_at=now)
            .returning(RefreshToken.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_user(self, user_id: str, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class PasswordResets:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def by_digest(self, digest: str) -> PasswordReset | None:
        result = await self.session.execute(select(PasswordReset).where(PasswordReset.token_hash == digest))
        return result.scalar_one_or_none()

    def add(self, reset: PasswordReset) -> PasswordReset:
        self.session.add(reset)
        return reset

    async def use(self, reset_id: str, now: datetime) -> bool:
        """Mark the reset used if nobody did; False if another request used it first."""
        statement = (
            update(PasswordReset)
            .where(PasswordReset.id == reset_id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
            .returning(PasswordReset.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def use_all(self, user_id: str, now: datetime) -> None:
        """Void the user's other reset links (a reset, once done, leaves no second way in)."""
        await self.session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
