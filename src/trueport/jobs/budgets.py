"""The budget resetter: closes finished budget periods with their final spend and opens the next.

Run by every replica's lifespan every ``interval_s``; one replica at a time does the work (a
``budget_resetter:lock`` key in the shared state, held for the interval). Each run closes every open
``BudgetPeriod`` whose end has passed (its ``spent`` set from the shared counter when that is still
there, else kept as written), opens the current period of every enabled budget, and emits a summary
(a log line and a ``budget.period_rolled`` event; each closed period is a
``budget.period_closed`` event of its tenant).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from sqlalchemy import select

from trueport.db.engine import SessionFactory
from trueport.db.models import Budget, BudgetPeriod
from trueport.jsonutil import JSONObject
from trueport.limits.budget_book import ActiveBudget, BudgetBook, from_units, spent_key
from trueport.limits.budget_ledger import BudgetLedger, EventSource, open_period, publish_budget_event
from trueport.limits.budget_periods import Period
from trueport.limits.budgets import Budgets
from trueport.platform.mail.mailer import Mailer
from trueport.settings import Settings
from trueport.state.protocols import State
from trueport.usage.pricing import PricingCatalog, TenantPrices

log = structlog.get_logger(__name__)

LOCK_KEY = "budget_resetter:lock"


@dataclass(frozen=True, slots=True)
class RollSummary:
    closed: int
    opened: int
    budgets: int


async def roll_over(
    sessions: SessionFactory, state: State, now: datetime | None = None, events: EventSource | None = None
) -> RollSummary:
    """Close the periods that have ended and open the current ones; a summary of what changed."""
    now = now if now is not None else datetime.fromtimestamp(state.now(), UTC)
    closed = opened = 0
    closed_events: list[tuple[str, JSONObject]] = []
    async with sessions() as session:
        rows = (await session.scalars(select(Budget).where(Budget.disabled_at.is_(None)))).all()
        budgets = {row.id: ActiveBudget.of(row) for row in rows}
        ended = (
            await session.scalars(
                select(BudgetPeriod).where(
                    BudgetPeriod.closed_at.is_(None),
                    BudgetPeriod.period_end.is_not(None),
                    BudgetPeriod.period_end <= now,
                )
            )
        ).all()
        for row in ended:
            budget = budgets.get(row.budget_id)
            if budget is not None:
                period = Period(row.period_start.replace(tzinfo=UTC), row.period_end)
                counted = await state.counters.get(spent_key(budget.id, period))
                row.spent = max(row.spent, from_units(budget.unit, counted).quantize(Decimal("0.000001")))
            row.closed_at = now
            closed += 1
            closed_events.append(
                (
                    row.tenant_id,
                    {
                        "budget_id": row.budget_id,
                        "period_start": row.period_start.isoformat(),
                        "spent": str(row.spent),
                    },
                )
            )
        for budget in budgets.values():
            period = budget.period_at(now)
            existing = await session.scalar(
                select(BudgetPeriod.id).where(
                    BudgetPeriod.budget_id == budget.id, BudgetPeriod.period_start == period.start
                )
            )
            if existing is None:
                await open_period(session, budget, period)
                opened += 1
        await session.commit()
    summary = RollSummary(closed=closed, opened=opened, budgets=len(budgets))
    if closed or opened:
        log.info("budget_periods_rolled", closed=closed, opened=opened, budgets=len(budgets))
        if events is not None:
            for tenant_id, data in closed_events:
                publish_budget_event(events, "budget.period_closed", tenant_id, data)
            summary_data: JSONObject = {
                "closed": closed,
                "opened": opened,
                "budgets": len(budgets),
                "at": now.isoformat(),
            }
            publish_budget_event(events, "budget.period_rolled", None, summary_data)
    return summary


class BudgetResetter:
    """Runs ``roll_over`` periodically; single-flight across replicas through the state's lock key."""

    def __init__(
        self,
        sessions: SessionFactory,
        state: State,
        *,
        interval_s: float = 60.0,
        events: EventSource | None = None,
    ):
        self._events = events
        self._sessions = sessions
        self._state = state
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="budget-resetter")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> RollSummary | None:
        """Roll over if no other replica is doing it this interval; None if another holds the lock."""
        if not await self._state.kv.set_if_absent(LOCK_KEY, b"1", max(1.0, self._interval_s * 0.9)):
            return None
        return await roll_over(self._sessions, self._state, events=self._events)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a background loop's boundary: log and try at the next interval
                log.exception("budget_resetter_failed")
            await asyncio.sleep(self._interval_s)


async def open_budgets(
    settings: Settings,
    sessions: SessionFactory,
    state: State,
    mailer: Mailer,
    stack: contextlib.AsyncExitStack,
    events: EventSource,
    prices: TenantPrices | None = None,
    *,
    resetter: bool = True,
) -> Budgets:
    """Load the budgets, start their ledger and (``resetter``) the resetter, stopped by ``stack``."""
    book = BudgetBook()
    await book.reload(sessions, state)
    ledger = BudgetLedger(sessions, state, mailer.send if mailer.configured else None, events=events)
    await ledger.start()
    stack.push_async_callback(ledger.stop)
    if resetter:
        periods = BudgetResetter(sessions, state, events=events)
        await periods.start()
        stack.push_async_callback(periods.stop)
    return Budgets(
        state, book, PricingCatalog.load(), settings.limits.default_max_tokens, ledger, prices=prices
    )
