"""The control plane's queries on usage roll-ups, always within the caller's tenant.

Counters are summed by the database; latency histograms are JSON and are merged in Python (a few
hundred rows per query at most for a time series: one per bucket and key, alias and provider).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement

from trueport.db.models import UsageRollup
from trueport.platform.scoping import ScopedRepository


@dataclass(frozen=True, slots=True)
class RollupFilters:
    granularity: str  # hour | day
    since: datetime  # buckets starting at or after
    until: datetime  # buckets starting before
    key_id: str | None = None
    alias: str | None = None
    provider: str | None = None


class RollupRepo(ScopedRepository[UsageRollup]):
    model = UsageRollup

    async def rows(self, filters: RollupFilters) -> Sequence[UsageRollup]:
        conditions: list[ColumnElement[bool]] = [
            UsageRollup.granularity == filters.granularity,
            UsageRollup.bucket_start >= filters.since,
            UsageRollup.bucket_start < filters.until,
        ]
        for column, value in (
            (UsageRollup.key_id, filters.key_id),
            (UsageRollup.alias, filters.alias),
            (UsageRollup.provider, filters.provider),
        ):
            if value is not None:
                conditions.append(column == value)
        statement = self.select().where(*conditions).order_by(UsageRollup.bucket_start)
        return (await self.session.execute(statement)).scalars().all()
