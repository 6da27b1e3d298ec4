"""The rules of a tenant's eval suites: CRUD (built-ins are read-only), runs and their history.

A run evaluates the suite under the tenant's guard policy through the serving process's own
``GuardService`` (the engine the gateway applies to its calls), is stored with its per-case results,
and is published as ``eval.run.completed`` on ``eval.events.v1`` (webhooks subscribed to that topic
receive it: that is the alerting path for a failing suite).

Runs are results, not configuration: they are written in a session of their own, committed before
the event is published, and not part of the control-plane audit trail (suites are).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from trueport.db.engine import SessionFactory
from trueport.db.models import EvalRun, EvalSuite, new_id, utcnow
from trueport.errors import ApiConflict, ApiNotFound
from trueport.events.bus import EventBus
from trueport.events.event import Event, Topic
from trueport.jsonutil import JSONObject
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.evals.builtins import builtin_ids, builtin_suite
from trueport.platform.evals.cron import parse_cron
from trueport.platform.evals.repository import RunRepository, SuiteRepository
from trueport.platform.evals.runner import RunResult, run_guard_cases
from trueport.platform.evals.schemas import BUILTIN_PREFIX, SuiteCreate, SuiteUpdate
from trueport.platform.pagination import PageQuery

if TYPE_CHECKING:
    from trueport.gateway.guarding import GuardService

log = structlog.get_logger(__name__)

TOPIC: Topic = "eval.events.v1"
MAX_TREND_RUNS = 100


class EvalService:
    def __init__(self, work: UnitOfWork, tenant_id: str, platform: Platform):
        self._work = work
        self._tenant_id = tenant_id
        self._platform = platform
        self.suites = SuiteRepository(work.session, tenant_id)
        self.runs = RunRepository(work.session, tenant_id)

    async def page(self, query: PageQuery) -> tuple[list[EvalSuite], bool]:
        return await self.suites.page(query)

    @staticmethod
    def builtins() -> list[EvalSuite]:
        return [suite for suite in map(builtin_suite, builtin_ids()) if suite is not None]

    async def get(self, suite_id: str) -> EvalSuite:
        row = (
            builtin_suite(suite_id)
            if suite_id.startswith(BUILTIN_PREFIX)
            else await self.suites.get(suite_id)
        )
        if row is None:
            raise ApiNotFound("no such eval suite")
        return row

    async def create(self, body: SuiteCreate) -> EvalSuite:
        row = EvalSuite(
            id=new_id(),
            name=body.name,
            kind=body.kind,
            description=body.description,
            cases=[case.model_dump() for case in body.cases],
            schedule=body.schedule,
            next_run_at=_next_run(body.schedule),
        )
        self.suites.add(row)
        await self._work.session.flush()
        log.info("eval_suite_created", suite_id=row.id, cases=len(row.cases))
        return row

    async def update(self, suite_id: str, body: SuiteUpdate) -> EvalSuite:
        row = await self._own(suite_id)
        if body.name is not None:
            row.name = body.name
        if body.description is not None:
            row.description = body.description
        if body.cases is not None:
            row.cases = [case.model_dump() for case in body.cases]
        if "schedule" in body.model_fields_set:  # null: on demand only
            row.schedule = body.schedule
            row.next_run_at = _next_run(body.schedule)
        row.updated_at = utcnow()
        await self._work.session.flush()
        log.info("eval_suite_updated", suite_id=row.id, fields=sorted(body.model_fields_set))
        return row

    async def delete(self, suite_id: str) -> None:
        """Its runs go too."""
        row = await self._own(suite_id)
        for run in await self.runs.all(EvalRun.suite_id == row.id):
            await self.runs.delete(run)
        await self.suites.delete(row)
        await self._work.session.flush()
        log.info("eval_suite_deleted", suite_id=row.id)

    async def run(self, suite_id: str) -> EvalRun:
        """Run the suite now under the tenant's guard policy; stored, then published."""
        suite = await self.get(suite_id)
        guard = self._platform.guard
        if guard is None:
            raise ApiConflict("the guard is not enabled on this installation", code="guard_disabled")
        platform = self._platform
        return await run_suite(
            guard, platform.sessions, platform.events, self._tenant_id, suite, trigger="api"
        )

    async def run_page(self, suite_id: str, query: PageQuery) -> tuple[list[EvalRun], bool]:
        suite = await self.get(suite_id)
        return await self.runs.of_suite(suite.id, query)

    async def trend(self, suite_id: str, last: int) -> list[EvalRun]:
        """The suite's last ``last`` runs, oldest first."""
        suite = await self.get(suite_id)
        return list(reversed(await self.runs.latest(suite.id, min(last, MAX_TREND_RUNS))))

    async def get_run(self, run_id: str) -> EvalRun:
        row = await self.runs.get(run_id)
        if row is None:
            raise ApiNotFound("no such eval run")
        return row

    async def _own(self, suite_id: str) -> EvalSuite:
        if suite_id.startswith(BUILTIN_PREFIX) and builtin_suite(suite_id) is not None:
            raise ApiConflict("built-in suites are read-only", code="builtin_read_only")
        return await self.get(suite_id)


async def run_suite(
    guard: GuardService,
    sessions: SessionFactory,
    bus: EventBus | None,
    tenant_id: str,
    suite: EvalSuite,
    *,
    trigger: str,
) -> EvalRun:
    """Evaluate ``suite`` under ``tenant_id``'s guard engine, store the run, then publish it."""
    engine = guard.policies.engine_for(tenant_id)
    cases: list[JSONObject] = list(suite.cases)
    result = await asyncio.to_thread(run_guard_cases, engine, cases)
    run = _run_row(tenant_id, suite, result, trigger)
    async with sessions() as session:
        session.add(run)
        await session.commit()
    if bus is None:
        log.warning("eval_event_not_published", run_id=run.id, reason="no event bus")
    else:
        bus.publish(TOPIC, Event.new(TOPIC, run.tenant_id, completed_event(run)))
    log.info("eval_run_completed", suite_id=suite.id, run_id=run.id, trigger=trigger, failed=run.failed)
    return run


def _next_run(schedule: str | None) -> datetime | None:
    return None if schedule is None else parse_cron(schedule).next_after(utcnow())


def _run_row(tenant_id: str, suite: EvalSuite, result: RunResult, trigger: str) -> EvalRun:
    return EvalRun(
        id=new_id(),
        tenant_id=tenant_id,
        suite_id=suite.id,
        suite_name=suite.name,
        trigger=trigger,
        total=result.total,
        passed=result.passed,
        failed=result.failed,
        pass_rate=round(result.pass_rate, 4),
        latency_p50_ms=result.latency_p50_ms,
        latency_p95_ms=result.latency_p95_ms,
        policy_version=result.policy_version,
        results=result.results,
        created_at=utcnow(),
    )


def completed_event(run: EvalRun) -> JSONObject:
    """``eval.run.completed``: the run's totals (never the cases' texts)."""
    return {
        "kind": "eval.run.completed",
        "run_id": run.id,
        "suite_id": run.suite_id,
        "suite_name": run.suite_name,
        "trigger": run.trigger,
        "failed": run.failed,
        "total": run.total,
        "passed": run.passed,
        "pass_rate": float(run.pass_rate),
        "latency_p50_ms": float(run.latency_p50_ms),
        "latency_p95_ms": float(run.latency_p95_ms),
        "cost_usd": 0.0,
        "policy_version": run.policy_version,
    }
