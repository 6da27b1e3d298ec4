"""The scanner: default-policy thresholds and per-detector timing."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from trueport.guard.base import Direction, Finding, ScanContext
from trueport.guard.bias import BiasDetector
from trueport.guard.scanner import DetectorStats, Scanner, percentile


class Fixed:
    """A detector that returns fixed scores (and remembers the contexts it saw)."""

    name: ClassVar[str] = "fixed"
    default_threshold: ClassVar[float] = 0.5

    def __init__(self, *scores: float) -> None:
        self.scores = scores
        self.contexts: list[ScanContext] = []

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        self.contexts.append(context)
        return [Finding(self.name, "thing", i, i + 1, s) for i, s in enumerate(self.scores)]


class Other(Fixed):
    name: ClassVar[str] = "other"
    default_threshold: ClassVar[float] = 0.9


class Clock:
    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_keeps_findings_at_or_above_each_detectors_threshold() -> None:
    scanner = Scanner([Fixed(0.49, 0.5, 0.7), Other(0.5, 0.9)])
    found = scanner.scan("text", ScanContext())
    assert [(f.detector, f.score) for f in found] == [("fixed", 0.5), ("fixed", 0.7), ("other", 0.9)]


def test_thresholds_override_the_defaults() -> None:
    scanner = Scanner([Fixed(0.3, 0.6), Other(0.5)], thresholds={"fixed": 0.2, "other": 0.5})
    assert [f.score for f in scanner.scan("text")] == [0.3, 0.6, 0.5]
    assert scanner.threshold("fixed") == 0.2
    with pytest.raises(ValueError, match="not in the scanner: nope"):
        Scanner([Fixed()], thresholds={"nope": 0.1})


def test_duplicate_detectors_are_refused() -> None:
    with pytest.raises(ValueError, match="given twice: fixed"):
        Scanner([Fixed(), Fixed()])


def test_context_is_passed_on() -> None:
    detector = Fixed()
    context = ScanContext(direction=Direction.OUTPUT, tenant_id="t1")
    Scanner([detector]).scan("text", context)
    Scanner([detector]).scan("text")
    assert detector.contexts == [context, ScanContext()]


def test_timing_per_detector() -> None:
    scanner = Scanner([Fixed(0.9), Other(0.1)], clock=Clock(0.001))
    scanner.scan("abcd")
    scanner.scan("ab")
    stats = scanner.stats()
    assert list(stats) == ["fixed", "other"]
    assert stats["fixed"].calls == 2
    assert stats["fixed"].chars == 6
    assert stats["fixed"].findings == 2
    assert stats["other"].findings == 0
    assert stats["fixed"].mean_ms == pytest.approx(1.0)
    assert stats["fixed"].as_dict()["p95_ms"] == pytest.approx(1.0)
    scanner.reset_stats()
    assert scanner.stats()["fixed"].calls == 0


def test_warm_up_forgets_its_timing() -> None:
    scanner = Scanner([Fixed(0.9)])
    scanner.warm_up()
    assert scanner.stats()["fixed"].calls == 0


def test_detector_errors_propagate() -> None:
    class Broken(Fixed):
        def scan(self, text: str, context: ScanContext) -> list[Finding]:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        Scanner([Broken()]).scan("text")


def test_with_the_bias_detector() -> None:
    scanner = Scanner([BiasDetector()])
    found = scanner.scan("Nice day. Immigrants are parasites.")
    assert [(f.detector, f.type, f.start) for f in found] == [("bias", "slur_or_dehumanisation", 10)]
    assert scanner.scan("It's a myth that immigrants are parasites.") == []


@pytest.mark.parametrize("q", [0, 10, 50, 95, 99, 100])
def test_percentile_matches_numpy(q: float) -> None:
    values = [5.0, 1.0, 3.0, 2.0, 8.0, 13.0, 21.0]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([], q) == 0.0


def test_stats_keep_a_bounded_window() -> None:
    stats = DetectorStats()
    for _ in range(5000):
        stats.record(0.001, 10, 0)
    assert stats.calls == 5000
    assert len(stats.recent) == 4096
