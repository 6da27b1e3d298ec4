"""What ``/budgets`` does: budgets within one tenant, and the status of their current period.

Every write marks the configuration as changed: the gateways reload their budgets at once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog

from trueport.db.models import Budget
from trueport.errors import ApiInvalid, ApiNotFound
from trueport.limits.budget_book import ActiveBudget, from_units, to_units
from trueport.limits.budgets import counted
from trueport.platform.budgets.repository import BudgetPeriodRepo, BudgetRepo
from trueport.platform.budgets.schemas import BudgetCreate, BudgetStatusOut, BudgetUpdate, shown
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.keys.repository import KeyRepo
from trueport.platform.pagination import PageQuery
from trueport.platform.tenancy import TenantContext

log = structlog.get_logger(__name__)


def _not_found() -> ApiNotFound:
    return ApiNotFound("no such budget", code="budget_not_found")


async def find_budget(work: UnitOfWork, ctx: TenantContext, budget_id: str) -> Budget:
    try:
        uuid.UUID(budget_id)
    except ValueError:
        raise _not_found() from None
    budget = await BudgetRepo(work.session, ctx.tenant_id).get(budget_id)
    if budget is None:
        raise _not_found()
    return budget


async def list_budgets(work: UnitOfWork, ctx: TenantContext, query: PageQuery) -> tuple[list[Budget], bool]:
    return await BudgetRepo(work.session, ctx.tenant_id).page(query)


async def create_budget(work: UnitOfWork, ctx: TenantContext, body: BudgetCreate) -> Budget:
    if body.key_id is not None:
        key = None
        try:
            uuid.UUID(body.key_id)
            key = await KeyRepo(work.session, ctx.tenant_id).get(body.key_id)
        except ValueError:
            pass
        if key is None:  # a foreign key looks like a missing one
            raise ApiInvalid("key_id names no key of this tenant", code="invalid_budget")
    now = datetime.now(UTC)
    budget = BudgetRepo(work.session, ctx.tenant_id).add(
        Budget(
            key_id=body.key_id,
            name=body.name,
            unit=body.unit,
            amount=body.amount,
            period=body.period,
            timezone=body.timezone,
            hard=body.hard,
            alert_thresholds=sorted(set(body.alert_thresholds)),
            created_at=now,
            updated_at=now,
        )
    )
    await work.session.flush()
    work.config_changed()
    log.info("budget_created", budget_id=budget.id, tenant_id=ctx.tenant_id)
    return budget


async def update_budget(work: UnitOfWork, ctx: TenantContext, budget_id: str, body: BudgetUpdate) -> Budget:
    budget = await find_budget(work, ctx, budget_id)
    given = body.model_fields_set
    if body.name is not None:
        budget.name = body.name
    if body.amount is not None:
        if budget.unit == "tokens" and body.amount != body.amount.to_integral_value():
            raise ApiInvalid("a token budget is a whole number of tokens", code="invalid_budget")
        budget.amount = body.amount
    if body.timezone is not None:
        budget.timezone = body.timezone
    if body.hard is not None:
        budget.hard = body.hard
    if body.alert_thresholds is not None:
        budget.alert_thresholds = sorted(set(body.alert_thresholds))
    if "disabled" in given and body.disabled is not None:
        if body.disabled and budget.disabled_at is None:
            budget.disabled_at = datetime.now(UTC)
        elif not body.disabled:
            budget.disabled_at = None
    budget.updated_at = datetime.now(UTC)
    await work.session.flush()
    work.config_changed()
    log.info("budget_updated", budget_id=budget.id, tenant_id=ctx.tenant_id)
    return budget


async def delete_budget(work: UnitOfWork, ctx: TenantContext, budget_id: str) -> None:
    budget = await find_budget(work, ctx, budget_id)
    await BudgetRepo(work.session, ctx.tenant_id).delete(budget)
    await work.session.flush()
    work.config_changed()
    log.info("budget_deleted", budget_id=budget_id, tenant_id=ctx.tenant_id)


async def budget_status(
    work: UnitOfWork, platform: Platform, ctx: TenantContext, budget_id: str
) -> BudgetStatusOut:
    """The current period from the shared counters (from the durable spend if they were lost)."""
    row = await find_budget(work, ctx, budget_id)
    budget = ActiveBudget.of(row)
    period, spent, used = await counted(
        platform.state, budget, datetime.fromtimestamp(platform.state.now(), UTC)
    )
    durable = await BudgetPeriodRepo(work.session, ctx.tenant_id).at(budget.id, period.start)
    if durable is not None:
        spent_durable = to_units(budget.unit, durable.spent)
        if spent == 0 and spent_durable > 0:  # the counters are gone (the durable copy is rounded)
            used += spent_durable - spent
            spent = spent_durable
    unit = budget.unit
    return BudgetStatusOut(
        budget_id=budget.id,
        unit=unit.value,
        period_start=period.start,
        period_end=period.end,
        amount=shown(unit, from_units(unit, budget.limit)),
        spent=shown(unit, from_units(unit, spent), 10),
        reserved=shown(unit, from_units(unit, used - spent), 10),
        remaining=shown(unit, from_units(unit, max(0, budget.limit - used)), 10),
        alerts_sent=sorted(durable.alerts_sent) if durable is not None else [],
        exhausted=used >= budget.limit,
    )
