"""The control plane's queries on virtual keys, always within the caller's tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from trueport.db.models import ApiKey
from trueport.keys.service import KeyStatus
from trueport.platform.pagination import PageQuery
from trueport.platform.scoping import ScopedRepository


def status_is(status: KeyStatus, now: datetime) -> ColumnElement[bool]:
    """The SQL twin of ``trueport.keys.service.key_status``: revocation wins over expiry."""
    revoked = ApiKey.revoked_at.is_not(None)
    expired = and_(ApiKey.expires_at.is_not(None), ApiKey.expires_at <= now)
    if status is KeyStatus.REVOKED:
        return revoked
    if status is KeyStatus.EXPIRED:
        return and_(~revoked, expired)
    return and_(~revoked, or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now))


class KeyRepo(ScopedRepository[ApiKey]):
    model = ApiKey

    async def page_by_status(
        self, query: PageQuery, status: KeyStatus | None, now: datetime
    ) -> tuple[list[ApiKey], bool]:
        conditions = [status_is(status, now)] if status is not None else []
        return await self.page(query, *conditions)

    async def unrevoked_created_by(self, user_id: str) -> list[ApiKey]:
        return list(await self.all(ApiKey.created_by == user_id, ApiKey.revoked_at.is_(None)))
