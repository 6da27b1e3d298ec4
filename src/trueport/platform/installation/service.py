"""Provider health and installation-wide usage, for platform admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trueport.errors import ApiInvalid
from trueport.limits.breaker import BreakerRegistry
from trueport.platform.context import UnitOfWork
from trueport.platform.installation.repository import InstallationUsageRepo
from trueport.platform.installation.schemas import (
    BreakerOut,
    InstallationUsageOut,
    ProvidersHealthOut,
    TenantUsageOut,
)

MAX_RANGE = timedelta(days=366)
DEFAULT_RANGE = timedelta(hours=24)


async def providers_health(breakers: BreakerRegistry | None) -> ProvidersHealthOut:
    now = datetime.now(UTC)
    if breakers is None:
        return ProvidersHealthOut(backend="none", checked_at=now, breakers=[])
    states = await breakers.snapshot()
    return ProvidersHealthOut(
        backend=breakers.backend,
        checked_at=now,
        breakers=[
            BreakerOut(
                target=state.label,
                state=state.state.label,  # closed | half_open | open
                calls=state.calls,
                failure_rate=round(state.failure_rate, 4),
                slow_call_rate=round(state.slow_call_rate, 4),
                consecutive_failures=state.consecutive_failures,
                openings=state.openings,
                opened_until=state.opened_until,
                probes_in_flight=state.probes_in_flight,
            )
            for state in states
        ],
    )


def _utc(when: datetime) -> datetime:
    """A time without a zone is taken as UTC (not as the server's local time)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def usage_window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """``[since, until)`` in UTC, ``since`` rounded down to its hour; the last 24 hours by default."""
    try:
        end = _utc(until or datetime.now(UTC))
        start = _utc(since or end - DEFAULT_RANGE).replace(minute=0, second=0, microsecond=0)
    except OverflowError as exc:  # e.g. the default start of an `until` in year 1
        raise ApiInvalid("the range is out of bounds", code="invalid_range") from exc
    if start >= end:
        raise ApiInvalid("`since` must be before `until`", code="invalid_range")
    if end - start > MAX_RANGE:
        raise ApiInvalid("the range may cover at most 366 days", code="invalid_range")
    return start, end


async def usage(work: UnitOfWork, since: datetime | None, until: datetime | None) -> InstallationUsageOut:
    start, end = usage_window(since, until)
    rows = await InstallationUsageRepo(work.session).per_tenant(start, end)
    tenants = [
        TenantUsageOut(
            tenant_id=row.id,
            slug=row.slug,
            name=row.name,
            requests=int(row.requests),
            errors=int(row.errors),
            prompt_tokens=int(row.prompt_tokens),
            completion_tokens=int(row.completion_tokens),
            cost_usd=Decimal(row.cost_usd),
            violations=int(row.violations),
        )
        for row in rows
    ]
    return InstallationUsageOut(
        since=start,
        until=end,
        tenants=tenants,
        total_requests=sum(tenant.requests for tenant in tenants),
        total_cost_usd=sum((tenant.cost_usd for tenant in tenants), Decimal(0)),
    )
