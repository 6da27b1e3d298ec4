"""The control plane's queries on guard violations, always within the caller's tenant.

``guard_violations`` has an integer id (the gateway inserts them in batches), so pages are keyed by
``(created_at, id)`` compared as a number here; the cursor carries the id as text like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_

from trueport.db.models import GuardViolation
from trueport.errors import ApiInvalid
from trueport.platform.pagination import PageQuery
from trueport.platform.scoping import ScopedRepository


@dataclass(frozen=True, slots=True)
class GroupCount:
    detector: str
    type: str
    action: str
    shadow: bool
    count: int


class ViolationRepo(ScopedRepository[GuardViolation]):
    model = GuardViolation

    async def page_by_id(
        self, query: PageQuery, conditions: Sequence[ColumnElement[bool]]
    ) -> tuple[list[GuardViolation], bool]:
        """One page ordered by ``(created_at, id)``, and whether more rows follow."""
        created, row_id = GuardViolation.created_at, GuardViolation.id
        statement = self.select().where(*conditions)
        if query.cursor is not None:
            after_time, after_text = query.cursor
            if not after_text.isdigit() or len(after_text) > 19:
                raise ApiInvalid("invalid cursor", code="invalid_cursor")
            after_id = int(after_text)
            statement = statement.where(
                or_(created > after_time, and_(created == after_time, row_id > after_id))
            )
        statement = statement.order_by(created, row_id).limit(query.limit + 1)
        rows = list((await self.session.execute(statement)).scalars())
        return rows[: query.limit], len(rows) > query.limit

    async def counts(self, conditions: Sequence[ColumnElement[bool]]) -> list[GroupCount]:
        """How many violations per ``(detector, type, action, shadow)``."""
        keys = (GuardViolation.detector, GuardViolation.type, GuardViolation.action, GuardViolation.shadow)
        statement = self.select().where(*conditions).with_only_columns(*keys, func.count()).group_by(*keys)
        rows = await self.session.execute(statement)
        return [
            GroupCount(detector, kind, action, bool(shadow), count)
            for detector, kind, action, shadow, count in rows
        ]
