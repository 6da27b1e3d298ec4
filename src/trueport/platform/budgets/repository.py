"""The control plane's queries on budgets and their periods, always within the caller's tenant."""

from __future__ import annotations

from datetime import datetime

from trueport.db.models import Budget, BudgetPeriod
from trueport.platform.scoping import ScopedRepository


class BudgetRepo(ScopedRepository[Budget]):
    model = Budget


class BudgetPeriodRepo(ScopedRepository[BudgetPeriod]):
    model = BudgetPeriod

    async def at(self, budget_id: str, period_start: datetime) -> BudgetPeriod | None:
        return await self.first(
            BudgetPeriod.budget_id == budget_id, BudgetPeriod.period_start == period_start
        )
