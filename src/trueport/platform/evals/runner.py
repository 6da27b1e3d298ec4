"""Run a guard suite's cases through a tenant's guard engine (the one the gateway uses for its calls).

Each case's text is evaluated as a user turn on the input side, exactly as a chat request's user
message is; each named detector's verdict is ``blocked`` (the decision blocked on it), ``flagged`` (an
enforced flag or redaction of it), ``skipped`` (an earlier detector blocked, so it did not run) or
``clean``. Shadow findings are not verdicts: the gateway does not act on them either.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from trueport.guard.base import Direction, Source
from trueport.guard.engine import Decision, GuardEngine, ScannedText
from trueport.guard.scanner import percentile
from trueport.jsonutil import JSONObject

PASS_MARK = 1.0  # a run fails unless every case passes


@dataclass(frozen=True, slots=True)
class RunResult:
    total: int
    passed: int
    latency_p50_ms: float
    latency_p95_ms: float
    policy_version: int
    results: list[JSONObject]
    cost_usd: float = 0.0  # route suites: their calls, as billed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def failed(self) -> bool:
        return self.pass_rate < PASS_MARK


def verdict(decision: Decision, detector: str) -> str:
    if decision.block is not None and decision.block.detector == detector:
        return "blocked"
    if any(applied.enforced and applied.finding.detector == detector for applied in decision.findings):
        return "flagged"
    if detector in decision.skipped:
        return "skipped"
    return "clean"


def matches(expected: str, actual: str) -> bool:
    if expected == "detected":
        return actual in ("blocked", "flagged")
    return expected == actual


def run_guard_cases(engine: GuardEngine, cases: list[JSONObject]) -> RunResult:
    """Evaluate every case (blocking: call it off the event loop)."""
    results: list[JSONObject] = []
    latencies: list[float] = []
    passed = 0
    for index, case in enumerate(cases):
        expected = case["expect"]
        assert isinstance(expected, dict)
        started = time.perf_counter()
        decision = engine.evaluate([ScannedText(str(case["text"]), source=Source.USER)], Direction.INPUT)
        latency_ms = (time.perf_counter() - started) * 1000.0
        actual = {detector: verdict(decision, detector) for detector in expected}
        ok = all(matches(str(want), actual[detector]) for detector, want in expected.items())
        passed += ok
        latencies.append(latency_ms)
        results.append(
            {
                "index": index,
                "passed": ok,
                "expected": dict(expected),
                "actual": actual,
                "latency_ms": round(latency_ms, 3),
            }
        )
    return RunResult(
        total=len(cases),
        passed=passed,
        latency_p50_ms=round(percentile(latencies, 50), 3),
        latency_p95_ms=round(percentile(latencies, 95), 3),
        policy_version=engine.policy.version,
        results=results,
    )
