"""Calendar periods of budgets: where a day, an ISO week or a month starts in the budget's time zone.

Periods are computed in local time and handed on in UTC, so a daily budget in ``Europe/Paris``
resets at Paris midnight, and a day with a DST change is 23 or 25 hours long. The ``total`` period
starts at ``TOTAL_START`` and never ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TOTAL_START = datetime(2000, 1, 1, tzinfo=UTC)


class PeriodKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    TOTAL = "total"


@dataclass(frozen=True, slots=True)
class Period:
    """One period, in UTC; ``end`` is exclusive and None for ``total``."""

    start: datetime
    end: datetime | None

    @property
    def label(self) -> str:
        """Names the period in state keys: its start in epoch seconds (unique per budget)."""
        return str(int(self.start.timestamp()))

    def ttl_s(self, now: datetime, grace_s: float) -> float:
        """How long the period's counters must live: until its end, plus time for the resetter."""
        if self.end is None:
            return 10 * 366 * 86_400.0
        return max(0.0, (self.end - now).total_seconds()) + grace_s


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def period_at(kind: PeriodKind, timezone: str, now: datetime) -> Period:
    """The period of ``kind`` that contains ``now`` (aware) in ``timezone``."""
    if kind is PeriodKind.TOTAL:
        return Period(TOTAL_START, None)
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if kind is PeriodKind.DAILY:
        start, end = midnight, midnight + timedelta(days=1)
    elif kind is PeriodKind.WEEKLY:
        start = midnight - timedelta(days=midnight.weekday())
        end = start + timedelta(days=7)
    else:
        start = midnight.replace(day=1)
        end = (
            start.replace(year=start.year + 1, month=1)
            if start.month == 12
            else start.replace(month=start.month + 1)
        )
    return Period(_utc(start, zone), _utc(end, zone))


def _utc(naive_local: datetime, zone: ZoneInfo) -> datetime:
    # fold=0: an ambiguous local midnight (rare; DST at midnight) resolves to its first occurrence.
    return naive_local.replace(tzinfo=zone).astimezone(UTC)
