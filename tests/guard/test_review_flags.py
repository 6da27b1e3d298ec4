"""Which inline ``flag`` findings a policy sends to a person: ``review.flagged`` and per-direction
``review``; the violation record carries ``review: true`` only then (nothing else changes shape)."""

from __future__ import annotations

from tests.guard.test_engine import fake_detector

from trueport.guard.base import Direction, Source
from trueport.guard.engine import GuardEngine, ScannedText
from trueport.guard.policy import Action, DetectorPolicy, DirectionPolicy, Policy, ReviewRules

TEXT = [ScannedText("mail bob@example.com, key sk-test", ("messages", 0, "content"), Source.USER)]


def engine(policy: Policy) -> GuardEngine:
    detectors = [
        fake_detector("pii", {"email": r"\S+@\S+"}),
        fake_detector("secrets", {"api_key": r"sk-\w+"}),
    ]
    return GuardEngine(detectors, policy)


def flags(review: ReviewRules, *, secrets: DirectionPolicy | None = None, shadow: bool = False) -> Policy:
    return Policy(
        version=3,
        review=review,
        detectors={
            "pii": DetectorPolicy(shadow=shadow, input=DirectionPolicy(action=Action.FLAG)),
            "secrets": DetectorPolicy(input=secrets or DirectionPolicy(action=Action.FLAG)),
        },
    )


def reviewed(policy: Policy) -> dict[str, object]:
    decision = engine(policy).evaluate(TEXT, Direction.INPUT)
    return {record.detector: record.as_dict().get("review", False) for record in decision.violations(TEXT)}


def test_flags_are_not_reviewed_by_default() -> None:
    policy = Policy(version=1)
    assert policy.review.flagged is False
    assert reviewed(flags(ReviewRules())) == {"pii": False, "secrets": False}


def test_the_policy_sends_every_flag_to_review() -> None:
    assert reviewed(flags(ReviewRules(flagged=True))) == {"pii": True, "secrets": True}


def test_a_direction_overrides_the_policy_either_way() -> None:
    off = DirectionPolicy(action=Action.FLAG, review=False)
    assert reviewed(flags(ReviewRules(flagged=True), secrets=off)) == {"pii": True, "secrets": False}
    on = DirectionPolicy(action=Action.FLAG, review=True)
    assert reviewed(flags(ReviewRules(), secrets=on)) == {"pii": False, "secrets": True}
    assert flags(ReviewRules(), secrets=on).reviews_flags("secrets", Direction.OUTPUT) is False


def test_shadow_findings_and_other_actions_are_never_reviewed() -> None:
    assert reviewed(flags(ReviewRules(flagged=True), shadow=True)) == {"pii": False, "secrets": True}
    redacting = DirectionPolicy(action=Action.REDACT, review=True)
    assert reviewed(flags(ReviewRules(flagged=True), secrets=redacting)) == {"pii": True, "secrets": False}


def test_a_stored_policy_without_the_setting_still_loads() -> None:
    stored = Policy(version=2).model_dump(mode="json")
    del stored["review"]
    assert Policy.from_dict(stored).review == ReviewRules()
