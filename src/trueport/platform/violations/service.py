"""What ``/violations`` does: a tenant's guard findings, filtered, paged and counted.

Violations are security records (what the guard caught, under which policy version), so reading
them takes ``audit:read``: owners, admins and auditors, not plain members. The gateway writes them
(``trueport.usage.writer``); the control plane only reads them, always through the tenant-scoped
repository, and they never contain the text that was found.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement

from trueport.db.models import GuardViolation
from trueport.errors import ApiInvalid
from trueport.platform.context import UnitOfWork
from trueport.platform.pagination import PageQuery
from trueport.platform.tenancy import TenantContext
from trueport.platform.usage.filters import time_range
from trueport.platform.usage.rollup_schemas import Granularity
from trueport.platform.violations.repository import ViolationRepo
from trueport.platform.violations.schemas import (
    TypeCount,
    ViolationFilter,
    ViolationPoint,
    ViolationSeries,
    ViolationSummary,
)

SUMMARY_WINDOW = timedelta(days=30)  # the summary's span when ``since`` is not given


def conditions(filters: ViolationFilter) -> list[ColumnElement[bool]]:
    if filters.since is not None and filters.until is not None and filters.since >= filters.until:
        raise ApiInvalid("`since` must be before `until`", code="invalid_time_range")
    v = GuardViolation
    found: list[ColumnElement[bool]] = []
    if filters.since is not None:
        found.append(v.created_at >= filters.since)
    if filters.until is not None:
        found.append(v.created_at < filters.until)
    for column, value in (
        (v.detector, filters.detector),
        (v.type, filters.type),
        (v.action, filters.action),
        (v.direction, filters.direction),
        (v.key_id, filters.key_id),
        (v.request_id, filters.request_id),
    ):
        if value is not None:
            found.append(column == value)
    return found


async def list_violations(
    work: UnitOfWork, ctx: TenantContext, query: PageQuery, filters: ViolationFilter
) -> tuple[list[GuardViolation], bool]:
    return await ViolationRepo(work.session, ctx.tenant_id).page_by_id(query, conditions(filters))


async def summarize(
    work: UnitOfWork, ctx: TenantContext, since: datetime | None, until: datetime | None
) -> ViolationSummary:
    """Counts by detector, by action and by finding type over ``[since, until)`` (default: 30 days)."""
    until = until or datetime.now(UTC)
    since = since or until - SUMMARY_WINDOW
    groups = await ViolationRepo(work.session, ctx.tenant_id).counts(
        conditions(ViolationFilter(since=since, until=until))
    )
    by_detector: dict[str, int] = {}
    by_action: dict[str, int] = {}
    by_type: dict[tuple[str, str], int] = {}
    for group in groups:
        by_detector[group.detector] = by_detector.get(group.detector, 0) + group.count
        by_action[group.action] = by_action.get(group.action, 0) + group.count
        key = (group.detector, group.type)
        by_type[key] = by_type.get(key, 0) + group.count
    return ViolationSummary(
        since=since,
        until=until,
        total=sum(group.count for group in groups),
        shadow=sum(group.count for group in groups if group.shadow),
        by_detector=dict(sorted(by_detector.items())),
        by_action=dict(sorted(by_action.items())),
        by_type=[
            TypeCount(detector=detector, type=kind, count=count)
            for (detector, kind), count in sorted(by_type.items(), key=lambda item: (-item[1], item[0]))
        ],
    )


async def timeseries(
    work: UnitOfWork,
    ctx: TenantContext,
    granularity: Granularity,
    since: datetime | None,
    until: datetime | None,
) -> ViolationSeries:
    """Counts per UTC hour or day over ``[since, until)``, bounded as usage time series are.

    The range is checked and defaulted like ``/usage/timeseries`` (30 days, at most 366), so an hourly
    series has at most 8,784 buckets. Unlike the roll-ups, violations are counted exactly within the
    range: a bucket cut by ``since`` or ``until`` holds only what falls inside, and the points add up
    to ``/violations/summary``'s total over the same range.
    """
    start, end = time_range(since, until)
    groups = await ViolationRepo(work.session, ctx.tenant_id).counts_per_bucket(
        granularity.value, conditions(ViolationFilter(since=start, until=end))
    )
    points: dict[datetime, dict[str, int]] = {}
    for group in groups:
        counts = points.setdefault(group.bucket_start, {"block": 0, "redact": 0, "flag": 0, "shadow": 0})
        column = "shadow" if group.shadow else group.action
        counts[column] = counts.get(column, 0) + group.count
    return ViolationSeries(
        granularity=granularity,
        since=start,
        until=end,
        points=[
            ViolationPoint(bucket_start=bucket, total=sum(counts.values()), **counts)
            for bucket, counts in sorted(points.items())
        ],
    )
