"""Queries on a tenant's eval suites and runs (always scoped to the tenant)."""

from __future__ import annotations

from trueport.db.models import EvalRun, EvalSuite
from trueport.platform.pagination import PageQuery
from trueport.platform.scoping import ScopedRepository


class SuiteRepository(ScopedRepository[EvalSuite]):
    model = EvalSuite


class RunRepository(ScopedRepository[EvalRun]):
    model = EvalRun

    async def of_suite(self, suite_id: str, query: PageQuery) -> tuple[list[EvalRun], bool]:
        return await self.page(query, EvalRun.suite_id == suite_id)

    async def latest(self, suite_id: str, count: int) -> list[EvalRun]:
        """The suite's last ``count`` runs, newest first."""
        statement = (
            self.select()
            .where(EvalRun.suite_id == suite_id)
            .order_by(EvalRun.created_at.desc(), EvalRun.id.desc())
            .limit(count)
        )
        return list((await self.session.execute(statement)).scalars())
