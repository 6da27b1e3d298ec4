"""The budget resetter closes finished periods with their spend, opens the current ones, once at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from tests.platform.harness import ControlPlaneHarness
from tests.platform.keys.calls import Acme

from trueport.db.models import Budget, BudgetPeriod
from trueport.events.memory import MemoryBus
from trueport.jobs.budgets import BudgetResetter, roll_over
from trueport.limits.budget_book import ActiveBudget, spent_key, to_units
from trueport.limits.budget_periods import period_at
from trueport.state.memory import MemoryState


async def test_finished_periods_are_closed_with_their_spend_and_the_next_opened(
    platform: ControlPlaneHarness, acme: Acme
) -> None:
    created = await platform.client.post(
        "/api/v1/budgets",
        json={"unit": "usd", "amount": "5", "period": "daily", "timezone": "Asia/Tokyo"},
        headers=acme.headers,
    )
    budget_id = created.json()["id"]
    state = MemoryState()
    async with platform.sessions() as session:
        budget = ActiveBudget.of((await session.scalars(select(Budget).where(Budget.id == budget_id))).one())
    yesterday = budget.period_at(datetime.now(UTC) - timedelta(days=1))
    await state.counters.add([spent_key(budget_id, yesterday)], to_units(budget.unit, Decimal("1.25")), 3600)
    async with platform.sessions() as session:
        session.add(
            BudgetPeriod(
                tenant_id=acme.tenant.id,
                budget_id=budget_id,
                period_start=yesterday.start,
                period_end=yesterday.end,
                spent=Decimal("1.2"),  # the ledger's last flush missed the final spend
                alerts_sent=[],
            )
        )
        await session.commit()

    bus = MemoryBus()
    consumer = bus.consumer(["budget.events.v1"], "test", "t1")
    summary = await roll_over(platform.sessions, state, events=lambda: bus)
    assert (summary.closed, summary.opened) == (1, 1)
    await bus.flush()
    delivered = [d.event for d in await consumer.read(10, block_s=0.1)]
    assert [(e.tenant_id, e.data["kind"]) for e in delivered] == [
        (acme.tenant.id, "budget.period_closed"),
        (None, "budget.period_rolled"),
    ]
    assert delivered[0].data["spent"] == "1.250000" and delivered[0].data["budget_id"] == budget_id
    async with platform.sessions() as session:
        rows = (
            await session.scalars(
                select(BudgetPeriod)
                .where(BudgetPeriod.budget_id == budget_id)
                .order_by(BudgetPeriod.period_start)
            )
        ).all()
    assert [r.period_start for r in rows] == [
        yesterday.start,
        period_at(budget.period, "Asia/Tokyo", datetime.now(UTC)).start,
    ]
    assert rows[0].closed_at is not None and rows[0].spent == Decimal("1.25")
    assert rows[1].closed_at is None and rows[1].spent == 0
    assert (await roll_over(platform.sessions, state)).closed == 0  # nothing left to do


async def test_one_replica_at_a_time_runs_the_resetter(platform: ControlPlaneHarness) -> None:
    state = MemoryState()
    first = BudgetResetter(platform.sessions, state, interval_s=60)
    second = BudgetResetter(platform.sessions, state, interval_s=60)
    assert await first.run_once() is not None
    assert await second.run_once() is None
