"""The control plane's queries on review items, always within the caller's tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, update

from trueport.db.models import ReviewItem
from trueport.platform.scoping import ScopedRepository


class ReviewRepo(ScopedRepository[ReviewItem]):
    model = ReviewItem

    async def resolve_open(
        self, review_id: str, *, status: str, note: str, user_id: str | None, at: datetime
    ) -> bool:
        """Resolve the item if it is still open; False if it was not (already resolved, or not ours).

        A conditional UPDATE, not read-then-write: of two concurrent verdicts exactly one wins.
        """
        statement = (
            update(ReviewItem)  # tenant-scope: filtered on self.tenant_id just below
            .where(
                ReviewItem.tenant_id == self.tenant_id,
                ReviewItem.id == review_id,
                ReviewItem.status == "open",
            )
            .values(status=status, note=note, resolved_by=user_id, resolved_at=at)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(statement)
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def resolved_batch(
        self, after: tuple[datetime, str] | None, limit: int, *conditions: ColumnElement[bool]
    ) -> list[ReviewItem]:
        """Resolved items ordered by ``(resolved_at, id)``, the ``limit`` first after ``after``."""
        resolved_at, row_id = ReviewItem.resolved_at, ReviewItem.id
        statement = self.select().where(ReviewItem.status != "open", resolved_at.is_not(None), *conditions)
        if after is not None:
            statement = statement.where(
                or_(resolved_at > after[0], and_(resolved_at == after[0], row_id > after[1]))
            )
        statement = statement.order_by(resolved_at, row_id).limit(limit)
        return list((await self.session.execute(statement)).scalars())
