"""Budgets on the hot path over the in-memory state: reserve the worst case, commit the real cost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trueport.keys.cache import KeyInfo
from trueport.limits.budget_book import ActiveBudget, BudgetBook, Unit
from trueport.limits.budget_periods import TOTAL_START, Period, PeriodKind, period_at
from trueport.limits.budgets import BudgetExceeded, Budgets, counted, usd_units, worst_case_usd_units
from trueport.state.memory import MemoryState
from trueport.usage.pricing import PricingCatalog
from trueport.usage.records import RequestRecordData

KEY = KeyInfo("key-1", "tenant-1", "acme", "k", None, None, None, None, None, None)
OTHER = KeyInfo("key-2", "tenant-1", "acme", "k2", None, None, None, None, None, None)
REQUEST = {"model": "m", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 100}
CATALOG = PricingCatalog.load()


def budget(
    limit: int, *, unit: Unit = Unit.TOKENS, hard: bool = True, key_id: str | None = None, bid: str = "b1"
) -> ActiveBudget:
    return ActiveBudget(
        bid, "tenant-1", key_id, "cap", unit, limit, PeriodKind.DAILY, "UTC", hard, (50, 80, 100)
    )


class Sink:
    def __init__(self) -> None:
        self.spent: list[int] = []

    def committed(self, budget: ActiveBudget, period: Period, spent: int) -> None:
        self.spent.append(spent)


def record(prompt: int, completion: int, model: str | None = "gpt-4o-mini") -> RequestRecordData:
    data = RequestRecordData(id="r", created_at=datetime.now(UTC), endpoint="/v1/chat/completions")
    data.upstream_model, data.prompt_tokens, data.completion_tokens = model, prompt, completion
    return data


def make(*budgets: ActiveBudget) -> tuple[Budgets, MemoryState, Sink]:
    state, sink = MemoryState(), Sink()
    return Budgets(state, BudgetBook(budgets), CATALOG, 1000, sink), state, sink


async def test_a_hold_is_the_worst_case_and_commit_refunds_the_rest() -> None:
    budgets, state, sink = make(budget(1000))
    hold = await budgets.reserve(KEY, ["gpt-4o-mini"], REQUEST)
    assert hold is not None
    reserved = hold.charges[0].reserved
    assert reserved > 100  # the prompt estimate + max_tokens
    _, spent, used = await counted(state, hold.charges[0].budget, budgets.now())
    assert (spent, used) == (0, reserved)
    await budgets.commit(hold, record(7, 5))
    _, spent, used = await counted(state, hold.charges[0].budget, budgets.now())
    assert (spent, used) == (12, 12)
    assert sink.spent == [12]


async def test_a_hard_budget_refuses_what_does_not_fit_with_402() -> None:
    budgets, _, _ = make(budget(150))
    first = await budgets.reserve(KEY, ["gpt-4o-mini"], REQUEST)
    assert first is not None
    with pytest.raises(BudgetExceeded) as refused:
        await budgets.reserve(KEY, ["gpt-4o-mini"], REQUEST)
    assert refused.value.status == 402 and refused.value.code == "budget_exceeded"
    assert "daily budget 'cap' of this tenant (150 tokens)" in refused.value.message
    await budgets.commit(first, record(0, 0))  # a failure: everything comes back
    assert await budgets.reserve(KEY, ["gpt-4o-mini"], REQUEST) is not None


async def test_a_soft_budget_counts_but_never_refuses() -> None:
    budgets, state, _ = make(budget(10, hard=False))
    holds = [await budgets.reserve(KEY, ["gpt-4o-mini"], REQUEST) for _ in range(3)]
    for hold in holds:
        assert hold is not None
        await budgets.commit(hold, record(10, 10))
    _, spent, _ = await counted(state, budget(10, hard=False), budgets.now())
    assert spent == 60


async def test_a_refusal_by_the_usd_budget_releases_the_token_hold() -> None:
    budgets, state, _ = make(budget(10_000, bid="tok"), budget(10**4, unit=Unit.USD, bid="usd"))
    with pytest.raises(BudgetExceeded):
        await budgets.reserve(KEY, ["gpt-4.1"], REQUEST)
    _, spent, used = await counted(state, budget(10_000, bid="tok"), budgets.now())
    assert (spent, used) == (0, 0)


async def test_key_budgets_apply_to_their_key_only() -> None:
    budgets, _, _ = make(budget(10, key_id="key-1"))
    with pytest.raises(BudgetExceeded, match="of this API key"):
        await budgets.reserve(KEY, ["gpt-4o-mini"], REQUEST)
    assert await budgets.reserve(OTHER, ["gpt-4o-mini"], REQUEST) is None


async def test_usd_reserves_at_the_priciest_target_and_commits_the_records_cost() -> None:
    assert (
        worst_case_usd_units(CATALOG, ["gpt-4o-mini", "gpt-4.1"], 1000, 1000) == 10_000 * 10**4
    )  # $2 + $8 / M
    assert worst_case_usd_units(CATALOG, ["unpriced-model"], 1000, 1000) == 0
    budgets, state, _ = make(budget(10**10, unit=Unit.USD))
    hold = await budgets.reserve(KEY, ["gpt-4o-mini", "gpt-4.1"], REQUEST)
    assert hold is not None
    await budgets.commit(hold, record(1000, 333))
    expected = usd_units(
        Decimal(1000) * Decimal("0.15") / 1_000_000 + Decimal(333) * Decimal("0.60") / 1_000_000
    )
    _, spent, used = await counted(state, budget(1, unit=Unit.USD), budgets.now())
    assert spent == used == expected == 3_498_000


async def test_concurrent_requests_at_the_edge_never_pass_the_limit() -> None:
    budgets, state, _ = make(budget(2_000))

    async def one() -> bool:
        try:
            hold = await budgets.reserve(KEY, ["gpt-4o-mini"], REQUEST)
        except BudgetExceeded:
            return False
        assert hold is not None
        await asyncio.sleep(0)
        await budgets.commit(hold, record(hold.charges[0].reserved - 100, 100))  # the whole worst case
        return True

    admitted = sum(await asyncio.gather(*(one() for _ in range(50))))
    _, spent, _ = await counted(state, budget(2_000), budgets.now())
    assert 0 < admitted < 50 and spent <= 2_000


@pytest.mark.parametrize(
    ("kind", "zone", "now", "start", "end"),
    [
        ("daily", "Europe/Paris", "2025-03-30T12:00:00Z", "2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z"),
        ("weekly", "UTC", "2025-05-04T23:59:00Z", "2025-04-28T00:00:00Z", "2025-05-05T00:00:00Z"),
        (
            "monthly",
            "America/New_York",
            "2025-12-01T03:00:00Z",
            "2025-11-01T04:00:00Z",
            "2025-12-01T05:00:00Z",
        ),
        ("monthly", "UTC", "2025-12-31T10:00:00Z", "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ],
)
def test_calendar_periods_follow_the_budgets_time_zone(
    kind: str, zone: str, now: str, start: str, end: str
) -> None:
    period = period_at(PeriodKind(kind), zone, datetime.fromisoformat(now))
    assert period.start == datetime.fromisoformat(start)
    assert period.end == datetime.fromisoformat(end)


def test_the_total_period_never_ends() -> None:
    period = period_at(PeriodKind.TOTAL, "UTC", datetime.now(UTC))
    assert period.start == TOTAL_START and period.end is None
