"""The control plane's queries on request records, always within the caller's tenant.

Aggregates are computed by the database (one ``GROUP BY``), on SQLite and PostgreSQL alike; the
one expression that differs between them, the UTC day of a timestamp, is ``utc_day``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Date, Row, Select, case, cast, func, literal_column
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from trueport.db.models import RequestRecord
from trueport.platform.pagination import PageQuery
from trueport.platform.scoping import ScopedRepository
from trueport.platform.usage.filters import UsageFilters
from trueport.platform.usage.schemas import GroupBy, Outcome


def utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar date of a timestamp column, as the database computes it.

    SQLite keeps timestamps as UTC text, so ``date()`` of it is the UTC date. PostgreSQL keeps
    ``timestamptz`` and would truncate in the session's time zone, so the value is first moved to
    UTC; the zone is a literal (not a bound parameter) so that the same expression in ``SELECT`` and
    ``GROUP BY`` is recognised as one.
    """
    if dialect == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column)


def _conditions(filters: UsageFilters) -> list[ColumnElement[bool]]:
    conditions = [RequestRecord.created_at >= filters.since, RequestRecord.created_at < filters.until]
    if filters.key_id is not None:
        conditions.append(RequestRecord.key_id == filters.key_id)
    if filters.alias is not None:
        conditions.append(RequestRecord.alias == filters.alias)
    if filters.provider is not None:
        conditions.append(RequestRecord.provider == filters.provider)
    if filters.outcome is Outcome.OK:
        conditions.append(RequestRecord.status_code < 400)
    elif filters.outcome is Outcome.ERROR:
        conditions.append(RequestRecord.status_code >= 400)
    return conditions


class RecordRepo(ScopedRepository[RequestRecord]):
    model = RequestRecord

    async def page_filtered(
        self, query: PageQuery, filters: UsageFilters
    ) -> tuple[list[RequestRecord], bool]:
        return await self.page(query, *_conditions(filters))

    def _group(self, group_by: GroupBy) -> ColumnElement[Any] | InstrumentedAttribute[str | None]:
        if group_by is GroupBy.DAY:
            return utc_day(RequestRecord.created_at, self.session.get_bind().dialect.name)
        return {
            GroupBy.MODEL: RequestRecord.alias,
            GroupBy.KEY: RequestRecord.key_id,
            GroupBy.PROVIDER: RequestRecord.provider,
        }[group_by]

    async def aggregate(self, group_by: GroupBy, filters: UsageFilters) -> Sequence[Row[Any]]:
        """One row per group: group, requests, errors, the three token sums, cost, mean latency."""
        group = self._group(group_by).label("group")
        statement: Select[Any] = (
            self.select()
            .with_only_columns(
                group,
                func.count().label("requests"),
                func.coalesce(func.sum(case((RequestRecord.status_code >= 400, 1), else_=0)), 0).label(
                    "errors"
                ),
                func.coalesce(func.sum(RequestRecord.prompt_tokens), 0).label("prompt_tokens"),
                func.coalesce(func.sum(RequestRecord.completion_tokens), 0).label("completion_tokens"),
                func.coalesce(func.sum(RequestRecord.cached_tokens), 0).label("cached_tokens"),
                func.coalesce(func.sum(RequestRecord.cost_usd), 0).label("cost_usd"),
                func.avg(RequestRecord.latency_ms).label("avg_latency_ms"),
            )
            .where(*_conditions(filters))
            .group_by(group)
            .order_by(group.is_(None), group)  # nulls last on both backends
        )
        rows: Sequence[Row[Any]] = (await self.session.execute(statement)).all()
        return rows

    async def count_upto(self, filters: UsageFilters, cap: int) -> int:
        """How many records match, counting no further than ``cap``."""
        matching = (
            self.select()
            .with_only_columns(RequestRecord.id)
            .where(*_conditions(filters))
            .limit(cap)
            .subquery()
        )
        count = await self.session.scalar(func.count().select().select_from(matching))
        return int(count or 0)

    async def stream(
        self, filters: UsageFilters, columns: Sequence[str], limit: int, *, batch: int = 1000
    ) -> AsyncIterator[Sequence[Row[Any]]]:
        """The matching records' ``columns`` in ``(created_at, id)`` order, ``batch`` rows at a time."""
        statement = (
            self.select()
            .with_only_columns(*(getattr(RequestRecord, name) for name in columns))
            .where(*_conditions(filters))
            .order_by(RequestRecord.created_at, RequestRecord.id)
            .limit(limit)
            .execution_options(yield_per=batch)
        )
        result = await self.session.stream(statement)
        async for rows in result.partitions(batch):
            yield rows
