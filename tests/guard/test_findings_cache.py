"""The findings cache: a repeated input text is scanned once per detector and context, answers never."""

from __future__ import annotations

from typing import ClassVar

import pytest
from tests.guard.test_engine import fake_detector

from trueport.guard.base import Direction, Finding, ScanContext, Source
from trueport.guard.engine import GuardEngine, ScannedText
from trueport.guard.findings_cache import FindingsCache, text_digest
from trueport.guard.policy import Action, DetectorPolicy, DirectionPolicy, Policy

SYSTEM = ScannedText(
    "You are a helpful assistant. Mail ops@example.com.", ("messages", 0, "content"), Source.SYSTEM
)


def policy() -> Policy:
    redact = DirectionPolicy(action=Action.REDACT)
    return Policy(version=1, detectors={"pii": DetectorPolicy(input=redact, output=redact)})


def user(text: str) -> ScannedText:
    return ScannedText(text, ("messages", 1, "content"), Source.USER)


def engine_with(
    cache: FindingsCache | None, tenant_id: str | None = "t1"
) -> tuple[GuardEngine, list[ScanContext]]:
    detector = fake_detector("pii", {"email": r"[\w.+-]+@[\w-]+\.[a-z]{2,}"})
    calls: list[ScanContext] = type(detector).calls  # type: ignore[attr-defined]
    return GuardEngine([detector], policy(), tenant_id=tenant_id, cache=cache), calls


def test_a_repeated_input_text_is_scanned_once_and_gives_the_same_findings() -> None:
    engine, calls = engine_with(FindingsCache(100))
    first = engine.evaluate([SYSTEM, user("hi, I am bo@example.org")], Direction.INPUT)
    second = engine.evaluate([SYSTEM, user("another question")], Direction.INPUT)
    assert len(calls) == 3  # the system prompt once, each user text once
    assert [f.finding for f in first.findings if f.text_index == 0] == [
        f.finding for f in second.findings if f.text_index == 0
    ]
    assert first.findings[0].finding.type == "email"
    assert [f.text_index for f in first.findings] == [0, 1]
    assert [f.text_index for f in second.findings] == [0]


def test_without_a_cache_every_text_is_scanned_every_time() -> None:
    engine, calls = engine_with(None)
    engine.evaluate([SYSTEM], Direction.INPUT)
    engine.evaluate([SYSTEM], Direction.INPUT)
    assert len(calls) == 2


def test_answers_are_never_cached() -> None:
    cache = FindingsCache(100)
    engine, calls = engine_with(cache)
    answer = ScannedText("write to ops@example.com", ("choices", 0, "message", "content"), Source.COMPLETION)
    engine.evaluate([answer], Direction.OUTPUT)
    engine.evaluate([answer], Direction.OUTPUT)
    assert len(calls) == 2
    assert len(cache) == 0


def test_the_same_text_from_another_source_or_tenant_is_scanned_again() -> None:
    cache = FindingsCache(100)
    engine, calls = engine_with(cache, "t1")
    other_tenant, other_calls = engine_with(cache, "t2")
    engine.evaluate([SYSTEM], Direction.INPUT)
    engine.evaluate([user(SYSTEM.text)], Direction.INPUT)  # same words, a user turn
    other_tenant.evaluate([SYSTEM], Direction.INPUT)
    assert len(calls) + len(other_calls) == 3
    assert len(cache) == 3


def test_a_failing_scan_is_not_cached() -> None:
    class Flaky:
        name: ClassVar[str] = "pii"
        default_threshold: ClassVar[float] = 0.5
        attempts = 0

        def scan(self, text: str, context: ScanContext) -> list[Finding]:
            self.attempts += 1
            if self.attempts == 1:
                raise RuntimeError("model not loaded yet")
            return [Finding("pii", "email", 0, 3, 0.9)]

    flaky = Flaky()
    engine = GuardEngine([flaky], policy(), cache=FindingsCache(10))
    failed = engine.evaluate([SYSTEM], Direction.INPUT)
    assert failed.failures and not failed.findings
    assert engine.evaluate([SYSTEM], Direction.INPUT).findings
    assert engine.evaluate([SYSTEM], Direction.INPUT).findings
    assert flaky.attempts == 2


def test_the_oldest_entry_goes_when_the_cache_is_full() -> None:
    cache = FindingsCache(2)
    context = ScanContext()
    keys = [("pii", context, text_digest(t)) for t in ("a", "b", "c")]
    for key in keys:
        cache.put(key, ())
    assert len(cache) == 2
    assert cache.get(keys[0]) is None
    assert cache.get(keys[1]) == () and cache.get(keys[2]) == ()
    assert (cache.hits, cache.misses) == (2, 1)


def test_the_key_holds_a_digest_not_the_text() -> None:
    assert text_digest("secret prompt") != text_digest("secret prompt ")
    assert len(text_digest("x" * 10_000)) == 16
    assert text_digest("\ud800 lone surrogate")  # encodable, not an error


def test_a_cache_must_hold_something() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        FindingsCache(0)
