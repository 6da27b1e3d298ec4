"""HTTP endpoints of ``/evals``: suites (the tenant's and the built-ins), runs, their history and trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from trueport.platform.context import PlatformDep, Work
from trueport.platform.evals.schemas import (
    RunOut,
    RunSummary,
    SuiteCreate,
    SuiteOut,
    SuiteSummary,
    SuiteUpdate,
    Trend,
    TrendPoint,
)
from trueport.platform.evals.service import MAX_TREND_RUNS, EvalService
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/evals", tags=["evals"])

# Like the guard policy they test: reading needs tenant:read, changing or running tenant:write.
Reader = Annotated[TenantContext, Allowed(Permission.TENANT_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.TENANT_WRITE)]
Paging = Annotated[PageQuery, Depends(page_query)]


@router.get("/suites", summary="List the tenant's eval suites (without their cases)")
async def list_suites(ctx: Reader, work: Work, platform: PlatformDep, q: Paging) -> Page[SuiteSummary]:
    rows, more = await EvalService(work, ctx.tenant_id, platform).page(q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(data=[SuiteSummary.of(row) for row in rows], next_cursor=cursor)


@router.get("/builtins", summary="The built-in suites: the project's held-out detector data (read-only)")
async def list_builtins(ctx: Reader) -> list[SuiteSummary]:
    return [SuiteSummary.of(row) for row in EvalService.builtins()]


@router.post("/suites", status_code=201, summary="Create an eval suite")
async def create_suite(body: SuiteCreate, ctx: Writer, work: Work, platform: PlatformDep) -> SuiteOut:
    return SuiteOut.of(await EvalService(work, ctx.tenant_id, platform).create(body))


@router.get("/suites/{suite_id}", summary="One eval suite with its cases (a built-in's id: builtin:<name>)")
async def get_suite(suite_id: str, ctx: Reader, work: Work, platform: PlatformDep) -> SuiteOut:
    return SuiteOut.of(await EvalService(work, ctx.tenant_id, platform).get(suite_id))


@router.patch("/suites/{suite_id}", summary="Change a suite's name, description or cases")
async def update_suite(
    suite_id: str, body: SuiteUpdate, ctx: Writer, work: Work, platform: PlatformDep
) -> SuiteOut:
    return SuiteOut.of(await EvalService(work, ctx.tenant_id, platform).update(suite_id, body))


@router.delete(
    "/suites/{suite_id}", status_code=204, response_class=Response, summary="Delete a suite and its runs"
)
async def delete_suite(suite_id: str, ctx: Writer, work: Work, platform: PlatformDep) -> Response:
    await EvalService(work, ctx.tenant_id, platform).delete(suite_id)
    return Response(status_code=204)


@router.post(
    "/suites/{suite_id}/runs",
    status_code=201,
    summary="Run a suite now under the tenant's guard policy (published on eval.events.v1)",
)
async def run_suite(suite_id: str, ctx: Writer, work: Work, platform: PlatformDep) -> RunOut:
    return RunOut.of(await EvalService(work, ctx.tenant_id, platform).run(suite_id))


@router.get("/suites/{suite_id}/runs", summary="A suite's runs, oldest first (without case results)")
async def list_runs(
    suite_id: str, ctx: Reader, work: Work, platform: PlatformDep, q: Paging
) -> Page[RunSummary]:
    rows, more = await EvalService(work, ctx.tenant_id, platform).run_page(suite_id, q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(data=[RunSummary.of(row) for row in rows], next_cursor=cursor)


@router.get("/suites/{suite_id}/trend", summary="The pass rate over a suite's last runs")
async def suite_trend(
    suite_id: str,
    ctx: Reader,
    work: Work,
    platform: PlatformDep,
    last: Annotated[int, Query(ge=1, le=MAX_TREND_RUNS, description="How many runs.")] = 20,
) -> Trend:
    rows = await EvalService(work, ctx.tenant_id, platform).trend(suite_id, last)
    points = [
        TrendPoint(
            run_id=row.id, created_at=row.created_at, pass_rate=float(row.pass_rate), failed=row.failed
        )
        for row in rows
    ]
    mean = sum(p.pass_rate for p in points) / len(points) if points else None
    return Trend(suite_id=suite_id, runs=len(points), mean_pass_rate=mean, points=points)


@router.get("/runs/{run_id}", summary="One run with its per-case results")
async def get_run(run_id: str, ctx: Reader, work: Work, platform: PlatformDep) -> RunOut:
    return RunOut.of(await EvalService(work, ctx.tenant_id, platform).get_run(run_id))
