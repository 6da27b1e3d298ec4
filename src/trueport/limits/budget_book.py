"""The active budgets of every tenant, in memory for the hot path; reloaded on configuration change.

Loading also restores the shared counters of the current periods from the durable spend
(``BudgetPeriod.spent``) when they are gone (Redis was emptied or replaced): one replica wins a
``seeded`` marker per period and adds the durable spend to both counters; the others see the marker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

import structlog
from sqlalchemy import select

from trueport.db.engine import SessionFactory
from trueport.db.models import Budget, BudgetPeriod
from trueport.limits.budget_periods import Period, PeriodKind, period_at
from trueport.state.protocols import State

log = structlog.get_logger(__name__)

_MAX_STEP = 10**13  # 1,000 USD: one counter change stays below Lua's 14 printed digits
GRACE_S = 7 * 86_400.0  # counters outlive their period so the resetter can still read them


def used_key(budget_id: str, period: Period) -> str:
    """Committed + reserved spend of one period: what a hard budget checks."""
    return f"budget:{budget_id}:{period.label}:used"


def spent_key(budget_id: str, period: Period) -> str:
    """Committed spend alone: what the durable copy and the alerts follow."""
    return f"budget:{budget_id}:{period.label}:spent"


class Unit(StrEnum):
    USD = "usd"
    TOKENS = "tokens"


# Counters hold USD in units of 1e-10, the precision of ``RequestRecord.cost_usd``, so that the
# committed spend is exactly the sum of the recorded costs (an int64 counter still holds 9e8 USD).
USD_SCALE = 10**10


def to_units(unit: Unit, amount: Decimal) -> int:
    """A budget amount as the counters hold it: 1e-10 USD or tokens."""
    return int(amount * USD_SCALE) if unit is Unit.USD else int(amount)


def from_units(unit: Unit, value: int) -> Decimal:
    return Decimal(value) / USD_SCALE if unit is Unit.USD else Decimal(value)


@dataclass(frozen=True, slots=True)
class ActiveBudget:
    id: str
    tenant_id: str
    key_id: str | None
    name: str
    unit: Unit
    limit: int  # 1e-10 USD or tokens
    period: PeriodKind
    timezone: str
    hard: bool
    thresholds: tuple[int, ...]

    @classmethod
    def of(cls, row: Budget) -> ActiveBudget:
        unit = Unit(row.unit)
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            key_id=row.key_id,
            name=row.name,
            unit=unit,
            limit=to_units(unit, row.amount),
            period=PeriodKind(row.period),
            timezone=row.timezone,
            hard=row.hard,
            thresholds=tuple(sorted(set(row.alert_thresholds))),
        )

    def period_at(self, now: datetime) -> Period:
        return period_at(self.period, self.timezone, now)

    @property
    def amount_text(self) -> str:
        if self.unit is Unit.USD:
            return f"{from_units(self.unit, self.limit).normalize():f} USD"
        return f"{self.limit} tokens"


class BudgetBook:
    """Budgets by tenant, split into the tenant's own and each key's."""

    def __init__(self, budgets: Sequence[ActiveBudget] = ()):
        self._tenant: dict[str, tuple[ActiveBudget, ...]] = {}
        self._key: dict[str, tuple[ActiveBudget, ...]] = {}
        self.replace(budgets)

    def replace(self, budgets: Sequence[ActiveBudget]) -> None:
        tenant: dict[str, list[ActiveBudget]] = {}
        key: dict[str, list[ActiveBudget]] = {}
        for budget in budgets:
            if budget.key_id is None:
                tenant.setdefault(budget.tenant_id, []).append(budget)
            else:
                key.setdefault(budget.key_id, []).append(budget)
        self._tenant = {name: tuple(rows) for name, rows in tenant.items()}
        self._key = {name: tuple(rows) for name, rows in key.items()}

    def applicable(self, tenant_id: str, key_id: str) -> tuple[ActiveBudget, ...]:
        """The key's budgets and its tenant's (a key budget of another tenant never matches)."""
        own = tuple(b for b in self._key.get(key_id, ()) if b.tenant_id == tenant_id)
        return own + self._tenant.get(tenant_id, ())

    def all(self) -> list[ActiveBudget]:
        return [b for rows in (*self._tenant.values(), *self._key.values()) for b in rows]

    def reloader(self, sessions: SessionFactory, state: State) -> Callable[[], Awaitable[int]]:
        """For the live-config watcher: reload on every configuration change."""

        async def reload_budgets() -> int:
            return await self.reload(sessions, state)

        return reload_budgets

    async def reload(self, sessions: SessionFactory, state: State) -> int:
        """Load every enabled budget and restore missing counters; the number loaded."""
        async with sessions() as session:
            rows = (await session.scalars(select(Budget).where(Budget.disabled_at.is_(None)))).all()
            budgets = [ActiveBudget.of(row) for row in rows]
            open_periods = (
                await session.scalars(select(BudgetPeriod).where(BudgetPeriod.closed_at.is_(None)))
            ).all()
        await _seed(state, budgets, open_periods)
        self.replace(budgets)
        return len(budgets)


async def _seed(state: State, budgets: Sequence[ActiveBudget], periods: Sequence[BudgetPeriod]) -> None:
    durable = {(p.budget_id, p.period_start.replace(tzinfo=UTC)): p.spent for p in periods}
    now = datetime.fromtimestamp(state.now(), UTC)
    for budget in budgets:
        period = budget.period_at(now)
        spent = durable.get((budget.id, period.start))
        if not spent:
            continue
        ttl_s = period.ttl_s(now, GRACE_S)
        if not await state.kv.set_if_absent(f"budget:{budget.id}:{period.label}:seeded", b"1", ttl_s):
            continue
        if await state.counters.get(spent_key(budget.id, period)) > 0:
            continue  # the counters survived; only the marker was missing
        value = to_units(budget.unit, spent)
        while value > 0:  # in steps that Redis's Lua passes on exactly (it prints numbers with 14 digits)
            step = min(value, _MAX_STEP)
            await state.counters.add([used_key(budget.id, period), spent_key(budget.id, period)], step, ttl_s)
            value -= step
        log.info("budget_counters_restored", budget_id=budget.id, period_start=period.start.isoformat())
