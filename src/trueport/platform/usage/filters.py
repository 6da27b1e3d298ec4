"""Which request records a usage query covers: a time range and optional equality filters.

Every usage query is bounded in time, so that it reads one slice of the ``(tenant_id, created_at)``
index rather than a tenant's whole history: without ``since``/``until`` it covers the last 30 days,
and a range may span at most 366 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trueport.errors import ApiInvalid
from trueport.platform.usage.schemas import Outcome

DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class UsageFilters:
    since: datetime  # inclusive
    until: datetime  # exclusive
    key_id: str | None = None
    alias: str | None = None
    provider: str | None = None
    outcome: Outcome | None = None


def _utc(value: datetime) -> datetime:
    """A time without a zone is read as UTC (the API speaks UTC throughout)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def time_range(
    since: datetime | None, until: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """``[since, until)`` with the defaults filled in; 400 if empty, reversed or too long."""
    try:
        end = _utc(until) if until is not None else (now or datetime.now(UTC))
        start = _utc(since) if since is not None else end - DEFAULT_RANGE
    except OverflowError:  # e.g. 0001-01-01 with a positive offset, or minus the default range
        raise ApiInvalid("the range lies outside the calendar", code="invalid_range") from None
    if start >= end:
        raise ApiInvalid("`since` must be before `until`", code="invalid_range")
    if end - start > MAX_RANGE:
        raise ApiInvalid(f"a range may span at most {MAX_RANGE.days} days", code="range_too_long")
    return start, end
