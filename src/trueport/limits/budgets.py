"""Budgets on the hot path: reserve the worst case before forwarding, commit the real cost after.

Per request, with no database query::

    hold = await budgets.reserve(key, models, request)  # 402 budget_exceeded if a hard budget is full
    ...                                                  # forward
    await budgets.commit(hold, call.record)              # real cost; the rest of the hold is refunded

Each budget period has two integer counters in the shared state (1e-10 USD, the records' precision, or tokens):
``budget:{id}:{start}:used`` (committed + still reserved) is what a hard budget checks, atomically
with ``WindowCounters.reserve``; ``budget:{id}:{start}:spent`` is the committed spend alone. Because
every reservation is the request's worst case (prompt estimate + max completion, at the priciest
target of the alias), concurrent requests on any number of replicas cannot push ``used`` past the
limit; only a request whose real use exceeds its estimate can, by less than its own reservation.

The active budgets live in memory (``BudgetBook``), loaded at start and reloaded by the live-config
watcher. The committed spend reaches ``BudgetPeriod.spent`` in the background (``BudgetLedger``).

While Redis is degraded the state's fallback applies (``trueport.state.fallback``): each replica
checks ``limits.local_share`` of every hard budget against its own local counters, which start at
zero, so during an outage up to ``N * local_share`` times a budget may be spent on top of what Redis
had counted; spend committed locally is not copied to Redis (nor to the database) afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from trueport.errors import GatewayError
from trueport.jsonutil import JSONObject
from trueport.keys.cache import KeyInfo
from trueport.limits.budget_book import (
    GRACE_S,
    USD_SCALE,
    ActiveBudget,
    BudgetBook,
    Unit,
    spent_key,
    used_key,
)
from trueport.limits.budget_periods import Period
from trueport.limits.tokens import estimate_prompt_tokens, reservation_tokens
from trueport.state.protocols import State, Window
from trueport.usage.pricing import PricingCatalog, TenantPrices
from trueport.usage.records import RequestRecordData

_RECORD_PRECISION = Decimal(1).scaleb(-10)  # RequestRecord.cost_usd is NUMERIC(20, 10)


class BudgetExceeded(GatewayError):
    """A hard budget cannot take this request's worst-case cost."""

    status = 402
    type = "insufficient_quota"
    code = "budget_exceeded"


class SpendSink(Protocol):
    """Where committed spend goes after the counters (``BudgetLedger``): durable copy and alerts."""

    def committed(self, budget: ActiveBudget, period: Period, spent: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Charge:
    budget: ActiveBudget
    period: Period
    reserved: int
    ttl_s: float


@dataclass(frozen=True, slots=True)
class BudgetHold:
    """What one request holds; commit it exactly once."""

    charges: tuple[Charge, ...]


def usd_units(cost: Decimal) -> int:
    """USD to counter units, rounded as the request record's NUMERIC(20, 10) column stores it."""
    return int(cost.quantize(_RECORD_PRECISION, rounding=ROUND_HALF_UP) * USD_SCALE)


class Pricer(Protocol):
    def cost(
        self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int
    ) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class _TenantPricer:
    prices: TenantPrices
    tenant_id: str | None

    def cost(
        self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int
    ) -> Decimal | None:
        priced = self.prices.cost(self.tenant_id, model, prompt_tokens, completion_tokens, cached_tokens)
        return priced[0] if priced is not None else None


def worst_case_usd_units(
    catalog: Pricer, models: Sequence[str], prompt_tokens: int, completion_tokens: int
) -> int:
    """The most the request may cost at the priciest of its targets' models (an unpriced model costs 0)."""
    worst = Decimal(0)
    for model in models:
        cost = catalog.cost(model, prompt_tokens, completion_tokens, 0)
        if cost is not None and cost > worst:
            worst = cost
    # Round up: the reservation must never be below what the record will say.
    return int((worst * USD_SCALE).to_integral_value(rounding="ROUND_CEILING"))


def exceeded_message(budget: ActiveBudget, period: Period) -> str:
    owner = "API key" if budget.key_id is not None else "tenant"
    name = f" {budget.name!r}" if budget.name else ""
    until = (
        f"; it resets at {period.end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        if period.end is not None
        else "; it does not reset"
    )
    return (
        f"the {budget.period.value} budget{name} of this {owner} ({budget.amount_text}) "
        f"cannot cover this request{until}"
    )


class Budgets:
    def __init__(
        self,
        state: State,
        book: BudgetBook,
        catalog: PricingCatalog,
        default_max_tokens: int,
        sink: SpendSink | None = None,
        prices: TenantPrices | None = None,
    ):
        self._state = state
        self.book = book
        self._catalog = catalog
        # Tenants' negotiated prices, as the record writer applies them: reservations and commits
        # must price a request exactly as its record will.
        self._prices = prices
        self._default_max_tokens = default_max_tokens
        self.sink = sink

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._state.now(), UTC)

    async def reserve(self, key: KeyInfo, models: Sequence[str], request: JSONObject) -> BudgetHold | None:
        """Hold the worst case on every budget of the key and its tenant; 402 if a hard one is full."""
        budgets = self.book.applicable(key.tenant_id, key.id)
        if not budgets:
            return None
        now = self.now()
        tokens = reservation_tokens(request, self._default_max_tokens)
        amounts = {Unit.TOKENS: tokens}
        if any(budget.unit is Unit.USD for budget in budgets):
            prompt = estimate_prompt_tokens(request)
            amounts[Unit.USD] = worst_case_usd_units(
                self._pricer(key.tenant_id), models, prompt, tokens - prompt
            )
        charges = [
            Charge(
                budget,
                period := budget.period_at(now),
                max(1, amounts[budget.unit]),
                period.ttl_s(now, GRACE_S),
            )
            for budget in budgets
        ]
        held: list[Charge] = []
        try:
            for unit in Unit:
                hard = [c for c in charges if c.budget.hard and c.budget.unit is unit]
                if not hard:
                    continue
                windows = [Window(used_key(c.budget.id, c.period), c.budget.limit) for c in hard]
                reserved = await self._state.counters.reserve(
                    windows, hard[0].reserved, max(c.ttl_s for c in hard)
                )
                if reserved.refused is not None:
                    refused = hard[reserved.refused]
                    raise BudgetExceeded(exceeded_message(refused.budget, refused.period))
                held.extend(hard)
            for charge in charges:
                if not charge.budget.hard:  # soft: counted, never refused
                    await self._state.counters.add(
                        [used_key(charge.budget.id, charge.period)], charge.reserved, charge.ttl_s
                    )
                    held.append(charge)
        except BaseException:
            await asyncio.shield(self._release(held))
            raise
        return BudgetHold(tuple(charges))

    async def commit(self, hold: BudgetHold, record: RequestRecordData) -> None:
        """Charge the real cost (0 for a failure or a replay) and give back the rest of the hold."""
        actual = self.actual_cost(record)
        for charge in hold.charges:
            amount = actual[charge.budget.unit]
            _, spent = await asyncio.gather(
                self._state.counters.add(
                    [used_key(charge.budget.id, charge.period)], amount - charge.reserved, charge.ttl_s
                ),
                self._state.counters.add([spent_key(charge.budget.id, charge.period)], amount, charge.ttl_s),
            )
            if self.sink is not None and amount > 0:
                self.sink.committed(charge.budget, charge.period, spent[0])

    def actual_cost(self, record: RequestRecordData) -> dict[Unit, int]:
        """The record's tokens and cost, exactly as the record writer will price it."""
        if record.served_from is not None:
            return {Unit.TOKENS: 0, Unit.USD: 0}
        usd = 0
        if record.upstream_model is not None:
            cost = self._pricer(record.tenant_id).cost(
                record.upstream_model, record.prompt_tokens, record.completion_tokens, record.cached_tokens
            )
            usd = usd_units(cost) if cost is not None else 0
        return {Unit.TOKENS: record.prompt_tokens + record.completion_tokens, Unit.USD: usd}

    def _pricer(self, tenant_id: str | None) -> Pricer:
        if self._prices is None:
            return self._catalog
        return _TenantPricer(self._prices, tenant_id)

    async def _release(self, held: Sequence[Charge]) -> None:
        for charge in held:
            await self._state.counters.add(
                [used_key(charge.budget.id, charge.period)], -charge.reserved, charge.ttl_s
            )


async def counted(state: State, budget: ActiveBudget, now: datetime) -> tuple[Period, int, int]:
    """The current period of ``budget``, its committed spend and its spend + reservations (counters)."""
    period = budget.period_at(now)
    spent = await state.counters.get(spent_key(budget.id, period))
    used = await state.counters.get(used_key(budget.id, period))
    return period, spent, max(used, spent)
