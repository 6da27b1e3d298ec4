"""The control plane's queries on guard violations, always within the caller's tenant.

``guard_violations`` has an integer id (the gateway inserts them in batches), so pages are keyed by
``(created_at, id)`` compared as a number here; the cursor carries the id as text like any other.
Counts per UTC hour or day are grouped by the database; the one expression that differs between
SQLite and PostgreSQL, the bucket a timestamp falls in, is ``utc_bucket``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_

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


@dataclass(frozen=True, slots=True)
class BucketCount:
    bucket_start: datetime
    action: str
    shadow: bool
    count: int


_SQLITE_FORMATS = {"hour": "'%Y-%m-%d %H:00:00'", "day": "'%Y-%m-%d 00:00:00'"}


def utc_bucket(column: Any, granularity: str, dialect: str) -> ColumnElement[Any]:
    """The start of the UTC hour or day of a timestamp column, as the database computes it.

    SQLite keeps timestamps as UTC text, formatted here to the bucket's start (text). PostgreSQL
    truncates ``timestamptz`` in the session's zone, so the value is first moved to UTC (a timestamp
    without zone). Literals, not bound parameters, so that ``SELECT`` and ``GROUP BY`` match.
    """
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        return func.date_trunc(literal_column(f"'{granularity}'"), utc)
    return func.strftime(literal_column(_SQLITE_FORMATS[granularity]), column)


def _as_utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC)


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

    async def counts_per_bucket(
        self, granularity: str, conditions: Sequence[ColumnElement[bool]]
    ) -> list[BucketCount]:
        """How many violations per UTC hour or day (``granularity``), action and shadow flag."""
        if granularity not in _SQLITE_FORMATS:  # it becomes SQL text: never anything but these two
            raise ValueError(f"unknown granularity {granularity!r}")
        bucket = utc_bucket(
            GuardViolation.created_at, granularity, self.session.get_bind().dialect.name
        ).label("bucket")
        keys = (bucket, GuardViolation.action, GuardViolation.shadow)
        statement = (
            self.select()
            .where(*conditions)
            .with_only_columns(*keys, func.count())
            .group_by(*keys)
            .order_by(bucket)
        )
        rows = await self.session.execute(statement)
        return [
            BucketCount(_as_utc(start), action, bool(shadow), count) for start, action, shadow, count in rows
        ]
