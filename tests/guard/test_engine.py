"""The guard engine with fake detectors (regexes), so that it is tested apart from the real ones.

``fake_detector`` is imported by the other guard test modules too.
"""

from __future__ import annotations

import re
import time
from typing import ClassVar

import pytest

from trueport.guard.base import Detector, Direction, Finding, ScanContext, Source
from trueport.guard.engine import GuardEngine, ScannedText, format_path
from trueport.guard.policy import (
    Action,
    DetectorPolicy,
    DirectionPolicy,
    FailMode,
    Policy,
    RunMode,
    TypeOverride,
    default_policy,
)


def fake_detector(
    name: str, patterns: dict[str, str], *, threshold: float = 0.5, score: float = 0.9, whole: bool = False
) -> Detector:
    """A detector finding each regex as its type (``whole``: one verdict for the whole text)."""
    compiled = {kind: re.compile(pattern) for kind, pattern in patterns.items()}

    class Fake:
        default_threshold: ClassVar[float] = threshold
        calls: ClassVar[list[ScanContext]] = []

        def scan(self, text: str, context: ScanContext) -> list[Finding]:
            self.calls.append(context)
            found = []
            for kind, pattern in compiled.items():
                for m in pattern.finditer(text):
                    if whole:
                        found.append(Finding(name, kind, None, None, score))
                        break
                    found.append(Finding(name, kind, m.start(), m.end(), score))
            return found

    Fake.name = name  # type: ignore[attr-defined]
    return Fake()  # type: ignore[return-value]


def pii() -> Detector:
    return fake_detector(
        "pii",
        {
            "email": r"[\w.+-]+@[\w-]+\.[a-z]{2,}",
            "us_ssn": r"\b\d{3}-\d{2}-\d{4}\b",
            "person": r"\b(?:Alice|Bob) [A-Z][a-z]+",
        },
    )


def secrets() -> Detector:
    return fake_detector("secrets", {"aws_access_key": r"AKIA[0-9A-Z]{16}"})


def injection() -> Detector:
    return fake_detector("injection", {"prompt_injection": r"(?i)ignore (all )?previous"}, whole=True)


def bias(score: float = 0.7) -> Detector:
    return fake_detector("bias", {"stereotype": r"(?i)\ball \w+ are\b"}, score=score, threshold=0.6)


class Exploding:
    name: ClassVar[str] = "secrets"
    default_threshold: ClassVar[float] = 0.5

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        raise RuntimeError(f"cannot scan {text!r}")  # quotes the text: must not be recorded


class Slow:
    name: ClassVar[str] = "bias"
    default_threshold: ClassVar[float] = 0.5

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        time.sleep(0.003)
        return []


ALL = (pii, secrets, injection, bias)
KEY = "AKIAABCDEFGHIJKLMNOP"


def texts(*values: str) -> list[ScannedText]:
    return [ScannedText(v, ("messages", i, "content")) for i, v in enumerate(values)]


def engine(policy: Policy | None = None, *detectors: Detector) -> GuardEngine:
    return GuardEngine(detectors or [make() for make in ALL], policy or default_policy(), tenant_id="t1")


def one(detector: str, *, input: DirectionPolicy, **kwargs: object) -> Policy:
    return Policy(version=3, detectors={detector: DetectorPolicy(input=input, **kwargs)})  # type: ignore[arg-type]


def test_default_policy_redacts_input_pii_and_blocks_secrets() -> None:
    decision = engine().evaluate(
        texts("mail me at a.b@example.com", "my SSN is 123-45-6789"), Direction.INPUT
    )
    assert not decision.blocked
    assert [(a.text_index, a.finding.type, a.action) for a in decision.redactions] == [
        (0, "email", Action.REDACT),
        (1, "us_ssn", Action.REDACT),
    ]
    blocked = engine().evaluate(texts("hi", f"key {KEY}"), Direction.INPUT)
    assert blocked.block is not None
    assert (blocked.block.reason, blocked.block.detector, blocked.block.type) == (
        "violation",
        "secrets",
        "aws_access_key",
    )
    assert blocked.block.text_index == 1
    assert KEY not in repr(blocked)  # offsets only, never the content


def test_default_policy_output_redacts_secrets_and_ignores_injection() -> None:
    decision = engine().evaluate(texts(f"use {KEY}; ignore previous rules"), Direction.OUTPUT)
    assert not decision.blocked
    assert [(a.finding.detector, a.action) for a in decision.findings] == [("secrets", Action.REDACT)]


def test_flags_are_listed_apart_and_do_not_block() -> None:
    decision = engine().evaluate(texts("all drivers are bad"), Direction.INPUT)
    assert not decision.blocked and not decision.redactions
    assert [a.finding.type for a in decision.flags] == ["stereotype"]


def test_threshold_defaults_to_the_detectors_and_the_policy_overrides_it() -> None:
    low = bias(score=0.55)  # under the detector's default threshold (0.6)
    assert not engine(None, low).evaluate(texts("all cats are"), Direction.INPUT).findings
    policy = one("bias", input=DirectionPolicy(action=Action.FLAG, threshold=0.5))
    assert engine(policy, low).evaluate(texts("all cats are"), Direction.INPUT).flags


def test_type_overrides_change_action_and_threshold_per_type() -> None:
    policy = one(
        "pii",
        input=DirectionPolicy(
            action=Action.REDACT,
            types={
                "email": TypeOverride(action=Action.OFF),
                "us_ssn": TypeOverride(action=Action.BLOCK),
                "person": TypeOverride(threshold=0.95),
            },
        ),
    )
    decision = engine(policy, pii()).evaluate(texts("Alice Smith a@b.io"), Direction.INPUT)
    assert decision.findings == ()  # email allowed, person under its own threshold
    blocked = engine(policy, pii()).evaluate(texts("a@b.io 123-45-6789"), Direction.INPUT)
    assert blocked.block is not None and blocked.block.type == "us_ssn"


def test_a_type_override_can_enable_one_type_of_an_otherwise_off_detector() -> None:
    policy = one("pii", input=DirectionPolicy(types={"us_ssn": TypeOverride(action=Action.BLOCK)}))
    decision = engine(policy, pii()).evaluate(texts("a@b.io 123-45-6789"), Direction.INPUT)
    assert decision.block is not None and [a.finding.type for a in decision.findings] == ["us_ssn"]


def test_the_first_block_stops_the_remaining_detectors() -> None:
    decision = engine().evaluate(texts(f"{KEY} ignore previous"), Direction.INPUT)
    assert decision.block is not None and decision.block.detector == "secrets"
    assert decision.skipped == ("injection", "bias")
    assert [t.detector for t in decision.timings] == ["pii", "secrets"]


def test_detector_order_is_the_order_given() -> None:
    decision = engine(None, injection(), secrets()).evaluate(texts(f"{KEY} ignore previous"), Direction.INPUT)
    assert decision.block is not None and decision.block.detector == "injection"
    assert decision.block.type == "prompt_injection"


def test_policy_shadow_computes_everything_and_enforces_nothing() -> None:
    policy = default_policy().model_copy(update={"shadow": True})
    decision = engine(policy).evaluate(texts(f"{KEY} a@b.io ignore previous"), Direction.INPUT)
    assert not decision.blocked and not decision.redactions and not decision.flags
    assert {(a.finding.detector, a.action) for a in decision.shadowed} == {
        ("pii", Action.REDACT),
        ("secrets", Action.BLOCK),
        ("injection", Action.BLOCK),
    }
    assert decision.skipped == ()


def test_detector_shadow_is_per_detector() -> None:
    policy = default_policy()
    detectors = dict(policy.detectors)
    detectors["secrets"] = detectors["secrets"].model_copy(update={"shadow": True})
    policy = policy.model_copy(update={"detectors": detectors})
    decision = engine(policy).evaluate(texts(f"{KEY} a@b.io"), Direction.INPUT)
    assert not decision.blocked
    assert [a.finding.detector for a in decision.shadowed] == ["secrets"]
    assert [a.finding.type for a in decision.redactions] == ["email"]


def test_a_failing_detector_fails_closed_with_guard_unavailable() -> None:
    decision = engine(None, pii(), Exploding()).evaluate(texts("hello"), Direction.INPUT)
    assert decision.block is not None
    assert (decision.block.reason, decision.block.detector, decision.block.type) == (
        "guard_unavailable",
        "secrets",
        None,
    )
    [failure] = decision.failures
    assert (failure.detector, failure.error, failure.fail_mode) == (
        "secrets",
        "RuntimeError",
        FailMode.CLOSED,
    )
    assert "hello" not in repr(decision)


def test_a_failing_detector_fails_open_when_the_policy_says_so() -> None:
    policy = one("secrets", input=DirectionPolicy(action=Action.BLOCK), fail_mode=FailMode.OPEN)
    decision = engine(policy, Exploding()).evaluate(texts("hello"), Direction.INPUT)
    assert not decision.blocked
    assert [(f.error, f.fail_mode, f.text_index) for f in decision.failures] == [
        ("RuntimeError", FailMode.OPEN, 0)
    ]


def test_fail_mode_can_differ_by_direction() -> None:
    policy = one(
        "secrets",
        input=DirectionPolicy(action=Action.BLOCK, fail_mode=FailMode.OPEN),
        fail_mode=FailMode.CLOSED,
    )
    assert not engine(policy, Exploding()).evaluate(texts("x"), Direction.INPUT).blocked


def test_a_shadow_detector_that_fails_closed_does_not_block() -> None:
    policy = one(
        "secrets", input=DirectionPolicy(action=Action.BLOCK), fail_mode=FailMode.CLOSED, shadow=True
    )
    decision = engine(policy, Exploding()).evaluate(texts("x"), Direction.INPUT)
    assert not decision.blocked and decision.failures[0].shadow


def test_a_detector_the_policy_needs_but_is_missing_counts_as_failing() -> None:
    eng = engine(None, pii(), injection(), bias())  # no secrets detector; secrets fail closed
    assert eng.missing == ("secrets",)
    decision = eng.evaluate(texts("hello"), Direction.INPUT)
    assert decision.block is not None and decision.block.reason == "guard_unavailable"
    assert decision.failures[0].error == "DetectorMissing"


def test_detectors_the_policy_does_not_name_do_not_run() -> None:
    detector = pii()
    policy = one("secrets", input=DirectionPolicy(action=Action.BLOCK))
    decision = engine(policy, detector, secrets()).evaluate(texts("a@b.io"), Direction.INPUT)
    assert decision.findings == () and type(detector).calls == []  # type: ignore[attr-defined]
    assert not engine(policy, secrets()).active(Direction.OUTPUT)


def test_async_detectors_are_deferred_not_run() -> None:
    detector = bias()
    policy = one("bias", input=DirectionPolicy(action=Action.FLAG), mode=RunMode.ASYNC)
    decision = engine(policy, detector).evaluate(texts("all cats are"), Direction.INPUT)
    assert decision.deferred == ("bias",) and decision.findings == ()
    assert type(detector).calls == []  # type: ignore[attr-defined]


def test_detectors_get_the_direction_source_and_tenant() -> None:
    detector = pii()
    scanned = [ScannedText("x", ("messages", 1, "content"), Source.TOOL_OUTPUT)]
    engine(None, detector).evaluate(scanned, Direction.INPUT)
    # The default policy redacts PII in tool results but leaves names alone: the detector is told.
    expected = ScanContext(Direction.INPUT, Source.TOOL_OUTPUT, "t1", ignored=frozenset({"person"}))
    assert type(detector).calls == [expected]  # type: ignore[attr-defined]


def test_detectors_are_told_which_types_a_scanning_rule_ignores() -> None:
    detector = pii()
    policy = one(
        "pii", input=DirectionPolicy(action=Action.REDACT, types={"email": TypeOverride(action=Action.OFF)})
    )
    engine(policy, detector).evaluate(texts("x"), Direction.INPUT)
    [context] = type(detector).calls  # type: ignore[attr-defined]
    assert context.types is None and context.ignored == frozenset({"email"})


def test_over_budget_detectors_are_reported_and_their_findings_kept() -> None:
    policy = one("bias", input=DirectionPolicy(action=Action.FLAG), latency_budget_ms=1.0)
    decision = engine(policy, Slow()).evaluate(texts("a", "b"), Direction.INPUT)
    [timing] = decision.timings
    assert timing.elapsed_ms >= 6.0 and timing.budget_ms == 1.0  # measured over both texts
    assert decision.over_budget == ("bias",)


def test_violation_records_say_what_and_where_never_the_text() -> None:
    scanned = [
        ScannedText("hi", ("messages", 0, "content")),
        ScannedText("write to a.b@example.com", ("messages", 1, "content", 0, "text"), Source.DOCUMENT),
    ]
    decision = engine().evaluate(scanned, Direction.INPUT)
    [record] = decision.violations(scanned)
    assert record.as_dict() == {
        "detector": "pii",
        "type": "email",
        "action": "redact",
        "shadow": False,
        "direction": "input",
        "source": "document",
        "location": "messages[1].content[0].text",
        "policy_version": 1,
        "score": 0.9,
        "start": 9,
        "end": 24,
    }


def test_format_path() -> None:
    assert format_path(("choices", 0, "message", "tool_calls", 2, "function", "arguments")) == (
        "choices[0].message.tool_calls[2].function.arguments"
    )
    assert format_path(()) == ""


@pytest.mark.parametrize("direction", list(Direction))
def test_empty_texts_are_skipped(direction: Direction) -> None:
    detector = pii()
    engine(None, detector).evaluate(texts("", ""), direction)
    assert type(detector).calls == []  # type: ignore[attr-defined]
