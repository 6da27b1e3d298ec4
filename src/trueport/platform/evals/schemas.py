"""I/O models of ``/evals``: suites (bounded cases, validated) and runs.

Two kinds of suite: ``guard`` (texts and the verdicts the tenant's guard policy should reach) and
``route`` (prompts sent through the gateway to one of the tenant's model routes, with checks on each
answer: guard verdicts, a regex, a JSON schema, latency and cost ceilings).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trueport.db.models import EvalRun, EvalSuite
from trueport.platform.evals.checks import check_schema
from trueport.platform.evals.cron import parse_cron

MAX_CASES = 1000  # a built-in suite is up to ~600 held-out texts
MAX_CASE_CHARS = 20_000
MAX_SUITE_CHARS = 1_000_000  # all the cases' texts together
MAX_ROUTE_CASES = 200  # each is a model call
MAX_PATTERN_CHARS = 1000
MAX_SCHEMA_CHARS = 20_000
MAX_ANSWER_TOKENS = 4096
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


def _known(value: dict[str, Verdict] | None) -> dict[str, Verdict] | None:
    unknown = sorted(set(value or ()) - set(DETECTORS))
    if unknown:
        raise ValueError(f"unknown detector(s) {unknown}: expected some of {list(DETECTORS)}")
    return value


class RouteExpect(_Strict):
    """What a route case's answer must satisfy; every check given must pass (none given: a 2xx answer)."""

    guard: dict[str, Verdict] | None = Field(
        default=None,
        max_length=len(DETECTORS),
        description="Per detector: blocked, flagged, clean or detected, as the gateway reported the call.",
    )
    regex: str | None = Field(
        default=None,
        max_length=MAX_PATTERN_CHARS,
        description="A Python regular expression the answer's text must contain a match of (re.search).",
    )
    json_schema: dict[str, Any] | None = Field(
        default=None, description="A JSON Schema (draft 2020-12) the JSON in the answer must satisfy."
    )
    max_latency_ms: float | None = Field(default=None, gt=0, description="The call's ceiling, end to end.")
    max_cost_usd: float | None = Field(
        default=None, ge=0, description="The call's ceiling, priced as billed."
    )

    @field_validator("guard")
    @classmethod
    def _known_detectors(cls, value: dict[str, Verdict] | None) -> dict[str, Verdict] | None:
        return _known(value)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except (re.error, OverflowError, RecursionError) as exc:  # "a{9999999999}" overflows
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            check_schema(value, MAX_SCHEMA_CHARS)
        return value

    @model_validator(mode="after")
    def _guard_not_with_answer_checks(self) -> Self:
        blocked = self.guard is not None and "blocked" in self.guard.values()
        if blocked and (self.regex is not None or self.json_schema is not None):
            raise ValueError("a case expecting a block has no answer to check: drop regex/json_schema")
        return self


class RouteCase(_Strict):
    """A prompt sent to the suite's route as a chat completion, and what its answer must satisfy."""

    prompt: str = Field(min_length=1, max_length=MAX_CASE_CHARS, description="The user message.")
    system: str | None = Field(default=None, max_length=MAX_CASE_CHARS, description="A system message.")
    expect: RouteExpect = Field(default_factory=RouteExpect)
    note: str = Field(default="", max_length=200)


def _cron(value: str | None) -> str | None:
    if value is not None:
        parse_cron(value)  # CronError is a ValueError: a 400 naming the field
    return value


_SCHEDULE = Field(
    default=None,
    max_length=100,
    description="Five-field cron in UTC (e.g. `0 3 * * *`); runs while a gateway with the guard is up.",
)


Case = GuardCase | RouteCase
_ROUTE = Field(
    default=None,
    min_length=1,
    max_length=200,
    description="Route suites: the model alias their prompts are sent to (the tenant's route or the "
    "installation's); guard suites have none.",
)
_MAX_TOKENS = Field(
    default=None, ge=1, le=MAX_ANSWER_TOKENS, description="Route suites: each call's max_tokens."
)


def _text(case: Case) -> str:
    return case.text if isinstance(case, GuardCase) else case.prompt + (case.system or "")


def _bounded(cases: list[Case]) -> list[Case]:
    size = sum(len(_text(case)) for case in cases)
    if size > MAX_SUITE_CHARS:
        raise ValueError(f"the cases' texts total {size} characters, more than {MAX_SUITE_CHARS}")
    return cases


def check_cases(kind: str, cases: list[Case]) -> None:
    """Every case of the suite's kind; a route suite at most ``MAX_ROUTE_CASES`` (each is a model call)."""
    wanted = GuardCase if kind == "guard" else RouteCase
    for index, case in enumerate(cases):
        if not isinstance(case, wanted):
            field = "text" if kind == "guard" else "prompt"
            raise ValueError(f"cases[{index}]: a {kind} suite's cases have a {field!r}")
    if kind == "route" and len(cases) > MAX_ROUTE_CASES:
        raise ValueError(f"a route suite has at most {MAX_ROUTE_CASES} cases (each is a model call)")


class SuiteCreate(_Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["guard", "route"] = "guard"
    description: str = Field(default="", max_length=500)
    cases: list[Case] = Field(min_length=1, max_length=MAX_CASES)
    schedule: str | None = _SCHEDULE
    route: str | None = _ROUTE
    max_tokens: int | None = _MAX_TOKENS

    @field_validator("cases")
    @classmethod
    def _check_size(cls, value: list[Case]) -> list[Case]:
        return _bounded(value)

    @model_validator(mode="after")
    def _check_kind(self) -> Self:
        check_cases(self.kind, self.cases)
        if self.kind == "route" and self.route is None:
            raise ValueError("a route suite names its route")
        if self.kind == "guard" and (self.route is not None or self.max_tokens is not None):
            raise ValueError("route and max_tokens are for route suites")
        return self

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        return _cron(value)


class SuiteUpdate(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    cases: list[Case] | None = Field(default=None, min_length=1, max_length=MAX_CASES)
    schedule: str | None = Field(default=None, max_length=100, description="Cron; null stops scheduling.")
    route: str | None = Field(default=None, min_length=1, max_length=200, description="Route suites only.")
    max_tokens: int | None = Field(
        default=None, ge=1, le=MAX_ANSWER_TOKENS, description="Route suites only; null: the route's default."
    )

    @field_validator("cases")
    @classmethod
    def _check_size(cls, value: list[Case] | None) -> list[Case] | None:
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
    route: str | None = Field(description="Route suites: the model alias their prompts are sent to.")
    max_tokens: int | None
    key_id: str | None = Field(
        description="Route suites: the tenant's virtual key their calls are made with (eval traffic in "
        "usage and audit); active only while a run is in progress."
    )

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
            route=row.route,
            max_tokens=row.max_tokens,
            key_id=row.key_id,
        )


class SuiteOut(SuiteSummary):
    cases: list[Case]

    @classmethod
    def of(cls, row: EvalSuite) -> SuiteOut:
        summary = SuiteSummary.of(row)
        model = GuardCase if row.kind == "guard" else RouteCase
        return cls(**summary.model_dump(), cases=[model.model_validate(case) for case in row.cases])


class CaseResult(BaseModel):
    index: int
    passed: bool
    expected: dict[str, Any]
    actual: dict[str, Any] = Field(
        description="Guard suites: per detector blocked, flagged, clean, or skipped (an earlier detector "
        "blocked). Route suites: status, guard verdicts, answer (its first 500 characters), cost_usd."
    )
    latency_ms: float
    failures: list[str] = Field(default=[], description="Route suites: which checks failed, and why.")
    request_id: str | None = Field(
        default=None, description="Route suites: the gateway's request id (x-request-id) of the call."
    )


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
    cost_usd: float = Field(description="The run's model calls, priced as billed; 0 for guard suites.")
    policy_version: int
    route: str | None = Field(description="Route suites: the route the run called.")
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
            cost_usd=float(row.cost_usd),
            policy_version=row.policy_version,
            route=row.route,
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
