"""I/O models of ``/evals``: suites (bounded cases, validated) and runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trueport.db.models import EvalRun, EvalSuite
from trueport.platform.evals.cron import parse_cron

MAX_CASES = 1000  # a built-in suite is up to ~600 held-out texts
MAX_CASE_CHARS = 20_000
MAX_SUITE_CHARS = 1_000_000  # all the cases' texts together
BUILTIN_PREFIX = "builtin:"
DETECTORS = ("pii", "secrets", "injection", "bias")

Verdict = Literal["blocked", "flagged", "clean", "detected"]  # detected: blocked or flagged


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuardCase(_Strict):
    """A text and the verdict each named detector should reach on it under the tenant's policy."""

    text: str = Field(min_length=1, max_length=MAX_CASE_CHARS)
    expect: dict[str, Verdict] = Field(min_length=1, max_length=len(DETECTORS))
    note: str = Field(default="", max_length=200)

    @field_validator("expect")
    @classmethod
    def _known_detectors(cls, value: dict[str, Verdict]) -> dict[str, Verdict]:
        unknown = sorted(set(value) - set(DETECTORS))
        if unknown:
            raise ValueError(f"unknown detector(s) {unknown}: expected some of {list(DETECTORS)}")
        return value


def _cron(value: str | None) -> str | None:
    if value is not None:
        parse_cron(value)  # CronError is a ValueError: a 400 naming the field
    return value


_SCHEDULE = Field(
    default=None,
    max_length=100,
    description="Five-field cron in UTC (e.g. `0 3 * * *`); runs while a gateway with the guard is up.",
)


def _bounded(cases: list[GuardCase]) -> list[GuardCase]:
    size = sum(len(case.text) for case in cases)
    if size > MAX_SUITE_CHARS:
        raise ValueError(f"the cases' texts total {size} characters, more than {MAX_SUITE_CHARS}")
    return cases


class SuiteCreate(_Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["guard"] = "guard"
    description: str = Field(default="", max_length=500)
    cases: list[GuardCase] = Field(min_length=1, max_length=MAX_CASES)
    schedule: str | None = _SCHEDULE

    @field_validator("cases")
    @classmethod
    def _check_size(cls, value: list[GuardCase]) -> list[GuardCase]:
        return _bounded(value)

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        return _cron(value)


class SuiteUpdate(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    cases: list[GuardCase] | None = Field(default=None, min_length=1, max_length=MAX_CASES)
    schedule: str | None = Field(default=None, max_length=100, description="Cron; null stops scheduling.")

    @field_validator("cases")
    @classmethod
    def _check_size(cls, value: list[GuardCase] | None) -> list[GuardCase] | None:
        return None if value is None else _bounded(value)

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        return _cron(value)


class SuiteSummary(BaseModel):
    """A suite without its cases (lists)."""

    id: str
    name: str
    kind: str
    description: str
    builtin: bool
    case_count: int
    schedule: str | None
    next_run_at: datetime | None

    @classmethod
    def of(cls, row: EvalSuite) -> SuiteSummary:
        return cls(
            id=row.id,
            name=row.name,
            kind=row.kind,
            description=row.description,
            builtin=row.id.startswith(BUILTIN_PREFIX),
            case_count=len(row.cases),
            schedule=row.schedule,
            next_run_at=row.next_run_at,
        )


class SuiteOut(SuiteSummary):
    cases: list[GuardCase]

    @classmethod
    def of(cls, row: EvalSuite) -> SuiteOut:
        summary = SuiteSummary.of(row)
        return cls(**summary.model_dump(), cases=[GuardCase.model_validate(case) for case in row.cases])


class CaseResult(BaseModel):
    index: int
    passed: bool
    expected: dict[str, str]
    actual: dict[str, str] = Field(
        description="blocked, flagged, clean, or skipped (an earlier detector blocked)"
    )
    latency_ms: float


class RunSummary(BaseModel):
    id: str
    suite_id: str
    suite_name: str
    trigger: str
    total: int
    passed: int
    failed: bool
    pass_rate: float
    latency_p50_ms: float
    latency_p95_ms: float
    cost_usd: float = Field(description="Always 0 for guard suites: they call no model.")
    policy_version: int
    created_at: datetime

    @classmethod
    def of(cls, row: EvalRun) -> RunSummary:
        return cls(
            id=row.id,
            suite_id=row.suite_id,
            suite_name=row.suite_name,
            trigger=row.trigger,
            total=row.total,
            passed=row.passed,
            failed=row.failed,
            pass_rate=float(row.pass_rate),
            latency_p50_ms=float(row.latency_p50_ms),
            latency_p95_ms=float(row.latency_p95_ms),
            cost_usd=0.0,
            policy_version=row.policy_version,
            created_at=row.created_at,
        )


class RunOut(RunSummary):
    results: list[CaseResult]

    @classmethod
    def of(cls, row: EvalRun) -> RunOut:
        summary = RunSummary.of(row)
        return cls(**summary.model_dump(), results=[CaseResult.model_validate(r) for r in row.results])


class TrendPoint(BaseModel):
    run_id: str
    created_at: datetime
    pass_rate: float
    failed: bool


class Trend(BaseModel):
    suite_id: str
    runs: int
    mean_pass_rate: float | None = Field(description="Over the runs shown; null when there are none.")
    points: list[TrendPoint] = Field(description="The last runs, oldest first.")
