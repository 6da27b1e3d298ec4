"""The rules of a tenant's eval suites: CRUD (built-ins are read-only), runs and their history.

A guard suite's run evaluates it under the tenant's guard policy through the serving process's own
``GuardService`` (the engine the gateway applies to its calls). A route suite's run sends its prompts
through the gateway itself (``EvalGateway``: the serving process's own ASGI app, or a running
gateway over HTTP) with the suite's eval key (``eval_keys``). Either run is stored with its per-case
results and published as ``eval.run.completed`` on ``eval.events.v1`` (webhooks subscribed to that
topic receive it: that is the alerting path for a failing suite).

Runs are results, not configuration: they are written in a session of their own, committed before
the event is published, and not part of the control-plane audit trail (suites are).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import structlog

from trueport.db.engine import SessionFactory
from trueport.db.models import EvalRun, EvalSuite, new_id, utcnow
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.events.bus import EventBus
from trueport.events.event import Event, Topic
from trueport.jsonutil import JSONObject
from trueport.keys.crypto import generate_key
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.evals.builtins import builtin_ids, builtin_suite
from trueport.platform.evals.cron import parse_cron
from trueport.platform.evals.eval_keys import (
    add_eval_key,
    close_eval_key,
    open_eval_key,
    revoke_eval_key,
    update_eval_key,
)
from trueport.platform.evals.gateway_calls import EvalGateway
from trueport.platform.evals.repository import RunRepository, SuiteRepository
from trueport.platform.evals.route_runner import run_route_cases
from trueport.platform.evals.runner import RunResult, run_guard_cases
from trueport.platform.evals.schemas import BUILTIN_PREFIX, SuiteCreate, SuiteUpdate, check_cases
from trueport.platform.pagination import PageQuery
from trueport.platform.routes.repository import RouteRepository

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
        if body.route is not None:
            await self._check_route(body.route)
        row = EvalSuite(
            id=new_id(),
            name=body.name,
            kind=body.kind,
            description=body.description,
            cases=[case.model_dump() for case in body.cases],
            schedule=body.schedule,
            next_run_at=_next_run(body.schedule),
            route=body.route,
            max_tokens=body.max_tokens,
        )
        if row.kind == "route":
            await add_eval_key(self._work.session, self._tenant_id, row, self._platform.key_secret)
        self.suites.add(row)
        await self._work.session.flush()
        log.info("eval_suite_created", suite_id=row.id, cases=len(row.cases))
        return row

    async def update(self, suite_id: str, body: SuiteUpdate) -> EvalSuite:
        row = await self._own(suite_id)
        routed = {"route", "max_tokens"} & body.model_fields_set
        if row.kind != "route" and routed:
            raise ApiInvalid(f"{', '.join(sorted(routed))}: for route suites only", code="validation_failed")
        if body.cases is not None:
            try:
                check_cases(row.kind, body.cases)
            except ValueError as exc:
                raise ApiInvalid(f"cases: {exc}", code="validation_failed") from None
        if body.route is not None:
            await self._check_route(body.route)
            row.route = body.route
        if "max_tokens" in body.model_fields_set:
            row.max_tokens = body.max_tokens
        if body.name is not None:
            row.name = body.name
        if body.description is not None:
            row.description = body.description
        if body.cases is not None:
            row.cases = [case.model_dump() for case in body.cases]
        if row.kind == "route":
            await update_eval_key(self._work.session, self._tenant_id, row)
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
        await revoke_eval_key(self._work.session, self._tenant_id, row)
        await self.suites.delete(row)
        await self._work.session.flush()
        log.info("eval_suite_deleted", suite_id=row.id)

    async def run(self, suite_id: str) -> EvalRun:
        """Run the suite now (a guard suite under the tenant's guard policy, a route suite through the
        gateway); stored, then published."""
        suite = await self.get(suite_id)
        platform = self._platform
        return await run_suite(
            platform.guard,
            platform.sessions,
            platform.events,
            self._tenant_id,
            suite,
            trigger="api",
            gateway=platform.eval_gateway,
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

    async def _check_route(self, alias: str) -> None:
        """The alias must be one this tenant's calls can reach: its own route or the installation's."""
        if alias in self._platform.settings.models:
            return
        if await RouteRepository(self._work.session, self._tenant_id).by_alias(alias) is None:
            raise ApiInvalid(f"route: this tenant has no route {alias!r}", code="validation_failed")

    async def _own(self, suite_id: str) -> EvalSuite:
        if suite_id.startswith(BUILTIN_PREFIX) and builtin_suite(suite_id) is not None:
            raise ApiConflict("built-in suites are read-only", code="builtin_read_only")
        return await self.get(suite_id)


async def run_suite(
    guard: GuardService | None,
    sessions: SessionFactory,
    bus: EventBus | None,
    tenant_id: str,
    suite: EvalSuite,
    *,
    trigger: str,
    gateway: EvalGateway | None = None,
) -> EvalRun:
    """Run ``suite`` for ``tenant_id`` (see the module's docstring), store the run, then publish it."""
    if suite.kind == "route":
        result = await _run_route(guard, sessions, gateway, tenant_id, suite)
    else:
        if guard is None:
            raise ApiConflict("the guard is not enabled on this installation", code="guard_disabled")
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


async def _run_route(
    guard: GuardService | None,
    sessions: SessionFactory,
    gateway: EvalGateway | None,
    tenant_id: str,
    suite: EvalSuite,
) -> RunResult:
    if gateway is None:
        raise ApiConflict("route suites run in a serving process", code="gateway_unavailable")
    if suite.tenant_id != tenant_id:  # the scheduler passes the suite's own tenant; never another's
        raise ApiNotFound("no such eval suite")
    secret = await open_eval_key(sessions, suite, gateway.key_secret)
    if secret is None:  # revoked by a person: the calls are refused (401), and each case says so
        log.warning("eval_key_revoked", suite_id=suite.id)
        secret = generate_key()
    version = guard.policies.engine_for(tenant_id).policy.version if guard is not None else 0
    try:
        return await run_route_cases(gateway, suite, secret, version)
    finally:
        await close_eval_key(sessions, suite)


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
        route=suite.route,
        cost_usd=Decimal(str(result.cost_usd)),
        created_at=utcnow(),
    )


def completed_event(run: EvalRun) -> JSONObject:
    """``eval.run.completed``: the run's totals (never the cases' texts)."""
    return {
        "kind": "eval.run.completed",
        "run_id": run.id,
        "suite_id": run.suite_id,
        "suite_name": run.suite_name,
        "route": run.route,
        "trigger": run.trigger,
        "failed": run.failed,
        "total": run.total,
        "passed": run.passed,
        "pass_rate": float(run.pass_rate),
        "latency_p50_ms": float(run.latency_p50_ms),
        "latency_p95_ms": float(run.latency_p95_ms),
        "cost_usd": float(run.cost_usd),
        "policy_version": run.policy_version,
    }
