from __future__ import annotations

import pytest

from trueport.guard.base import Direction, Source
from trueport.guard.injection import InjectionDetector
from trueport.guard.models import DEFAULT_MODEL_DIR
from trueport.guard.policy import (
    HIGH_RISK_PII,
    INJECTION_BLOCK_THRESHOLD,
    INPUT_SOURCES,
    OUTPUT_SOURCES,
    Action,
    DetectorPolicy,
    DirectionPolicy,
    FailMode,
    Policy,
    PolicyError,
    RunMode,
    SourceRule,
    TypeOverride,
    default_policy,
)
from trueport.jsonutil import loads


def test_default_policy_matches_the_documented_defaults() -> None:
    policy = default_policy()
    actions = {
        name: (rules.input.action, rules.output.action, rules.fail_mode, rules.mode)
        for name, rules in policy.detectors.items()
    }
    assert actions == {
        "pii": (Action.REDACT, Action.OFF, FailMode.CLOSED, RunMode.INLINE),
        "secrets": (Action.BLOCK, Action.REDACT, FailMode.CLOSED, RunMode.INLINE),
        "injection": (Action.FLAG, Action.OFF, FailMode.OPEN, RunMode.INLINE),
        "bias": (Action.FLAG, Action.FLAG, FailMode.OPEN, RunMode.INLINE),
    }
    assert policy.version == 1 and not policy.shadow
    assert policy.restore_in_tool_arguments and not policy.store_bodies


def _resolved(detector: str, direction: Direction, source: Source) -> SourceRule:
    return default_policy().detectors[detector].direction(direction).for_source(source)


def test_default_policy_looks_for_injection_only_in_what_the_application_did_not_write() -> None:
    scanned = {
        s for s in INPUT_SOURCES if _resolved("injection", Direction.INPUT, s).action is not Action.OFF
    }
    assert scanned == {Source.USER, Source.TOOL_OUTPUT, Source.DOCUMENT, Source.PROMPT}
    user = _resolved("injection", Direction.INPUT, Source.USER)
    assert user.action is Action.FLAG
    assert user.block_threshold == INJECTION_BLOCK_THRESHOLD


def test_default_policy_looks_for_secrets_everywhere() -> None:
    for source in INPUT_SOURCES:
        assert _resolved("secrets", Direction.INPUT, source).action is Action.BLOCK
    for source in OUTPUT_SOURCES:
        assert _resolved("secrets", Direction.OUTPUT, source).action is Action.REDACT


def test_default_policy_changes_answers_only_for_high_risk_pii() -> None:
    answer = _resolved("pii", Direction.OUTPUT, Source.COMPLETION)
    assert answer.action is Action.OFF
    assert {kind for kind, o in answer.types.items() if o.action is Action.REDACT} == set(HIGH_RISK_PII)
    system = _resolved("pii", Direction.INPUT, Source.SYSTEM)
    assert system.action is Action.OFF
    assert {kind for kind, o in system.types.items() if o.action is not Action.OFF} == set(HIGH_RISK_PII)
    user = _resolved("pii", Direction.INPUT, Source.USER)
    assert user.action is Action.REDACT and user.types["person"].action is Action.OFF


def test_injection_block_threshold_is_the_calibrated_one() -> None:
    recorded = loads((DEFAULT_MODEL_DIR / "injection" / "training.json").read_bytes())
    assert recorded["block_threshold"] == INJECTION_BLOCK_THRESHOLD
    assert InjectionDetector.default_block_threshold == INJECTION_BLOCK_THRESHOLD


def test_source_rules_merge_over_their_direction() -> None:
    rule = DirectionPolicy(
        action=Action.REDACT,
        threshold=0.4,
        types={"email": TypeOverride(action=Action.OFF), "person": TypeOverride(threshold=0.9)},
        sources={
            Source.SYSTEM: SourceRule(action=Action.FLAG, types={"email": TypeOverride(action=Action.BLOCK)})
        },
    )
    system = rule.for_source(Source.SYSTEM)
    assert (system.action, system.threshold) == (Action.FLAG, 0.4)
    assert system.types == {"email": TypeOverride(action=Action.BLOCK), "person": TypeOverride(threshold=0.9)}
    user = rule.for_source(Source.USER)
    assert (user.action, user.types["email"]) == (Action.REDACT, TypeOverride(action=Action.OFF))


def test_source_rule_shorthand_and_validation() -> None:
    policy = Policy.from_dict(
        {
            "version": 1,
            "detectors": {"injection": {"input": {"action": "flag", "sources": {"system": "off"}}}},
        }
    )
    assert policy.detectors["injection"].input.sources[Source.SYSTEM] == SourceRule(action=Action.OFF)
    with pytest.raises(PolicyError) as wrong_direction:
        Policy.from_dict({"version": 1, "detectors": {"pii": {"output": {"sources": {"user": "off"}}}}})
    assert "never occur in this direction" in str(wrong_direction.value)
    with pytest.raises(PolicyError) as unknown:
        Policy.from_dict({"version": 1, "detectors": {"pii": {"input": {"sources": {"emails": "off"}}}}})
    assert "detectors.pii.input.sources" in str(unknown.value)
    with pytest.raises(PolicyError) as inverted:
        Policy.from_dict(
            {"version": 1, "detectors": {"injection": {"input": {"threshold": 0.8, "block_threshold": 0.5}}}}
        )
    assert "below threshold" in str(inverted.value)
    with pytest.raises(PolicyError) as inherited:  # the source's threshold against the direction's block
        Policy.from_dict(
            {
                "version": 1,
                "detectors": {
                    "injection": {
                        "input": {"block_threshold": 0.9, "sources": {"tool_output": {"threshold": 0.95}}}
                    }
                },
            }
        )
    assert "block_threshold 0.9 is below threshold 0.95" in str(inherited.value)


def test_a_block_threshold_makes_a_flagging_async_detector_invalid() -> None:
    with pytest.raises(PolicyError) as refused:
        Policy.from_dict(
            {
                "version": 1,
                "detectors": {
                    "injection": {"mode": "async", "input": {"action": "flag", "block_threshold": 0.9}}
                },
            }
        )
    assert "async detector cannot block" in str(refused.value)


def test_policy_round_trips_through_json() -> None:
    policy = Policy(
        version=7,
        shadow=True,
        restore_in_tool_arguments=True,
        detectors={
            "pii": DetectorPolicy(
                latency_budget_ms=5,
                input=DirectionPolicy(
                    action=Action.REDACT,
                    threshold=0.4,
                    fail_mode=FailMode.OPEN,
                    types={
                        "email": TypeOverride(action=Action.OFF),
                        "credit_card": TypeOverride(action=Action.BLOCK),
                    },
                ),
            ),
            "bias": DetectorPolicy(mode=RunMode.ASYNC, output=DirectionPolicy(action=Action.FLAG)),
        },
    )
    data = policy.to_json()
    assert loads(data)["detectors"]["pii"]["input"]["types"]["email"] == {"action": "off", "threshold": None}
    assert Policy.from_json(data) == policy
    assert Policy.from_json(default_policy().to_json()) == default_policy()


def test_type_override_shorthand() -> None:
    policy = Policy.from_dict(
        {"version": 1, "detectors": {"pii": {"input": {"action": "redact", "types": {"email": "off"}}}}}
    )
    assert policy.detectors["pii"].input.types["email"] == TypeOverride(action=Action.OFF)


@pytest.mark.parametrize(
    ("document", "location", "words"),
    [
        ({"version": 0}, "version", "greater than or equal to 1"),
        (
            {"version": 1, "detectors": {"pii": {"input": {"action": "drop"}}}},
            "detectors.pii.input.action",
            "'block'",
        ),
        (
            {"version": 1, "detectors": {"pii": {"output": {"threshold": 1.5}}}},
            "detectors.pii.output.threshold",
            "1",
        ),
        (
            {"version": 1, "detectors": {"pii": {"latency_budget_ms": 0}}},
            "detectors.pii.latency_budget_ms",
            "greater",
        ),
        ({"version": 1, "detectors": {"pii": {"fail_mode": "maybe"}}}, "detectors.pii.fail_mode", "'open'"),
        ({"version": 1, "detectors": {"PII!": {}}}, "detectors", "detector name"),
        (
            {"version": 1, "detectors": {"pii": {"input": {"types": {"E-mail": "off"}}}}},
            "detectors.pii.input.types",
            "finding type",
        ),
        (
            {"version": 1, "detectors": {"pii": {"input": {"types": {"email": {}}}}}},
            "detectors.pii.input.types.email",
            "needs an action or a threshold",
        ),
        ({"version": 1, "detectors": {"pii": {"inputs": {}}}}, "detectors.pii.inputs", "Extra inputs"),
        (
            {
                "version": 1,
                "detectors": {
                    "bias": {"mode": "async", "input": {"action": "flag", "types": {"x": "block"}}}
                },
            },
            "detectors.bias",
            "async detector cannot block",
        ),
    ],
)
def test_invalid_policies_are_refused_naming_the_field(
    document: dict[str, object], location: str, words: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict(document)
    assert [loc for loc, _ in caught.value.problems] == [location]
    assert words in str(caught.value)


def test_invalid_json_is_a_policy_error() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_json(b"{not json")
    assert "Invalid JSON" in str(caught.value)


def test_active_and_per_direction_accessors() -> None:
    rules = DetectorPolicy(
        fail_mode=FailMode.CLOSED,
        input=DirectionPolicy(
            types={"email": TypeOverride(threshold=0.9)}
        ),  # a threshold alone enables nothing
        output=DirectionPolicy(types={"email": TypeOverride(action=Action.FLAG)}),
    )
    assert not rules.direction(Direction.INPUT).active
    assert rules.direction(Direction.OUTPUT).active
    assert rules.fail_mode_for(Direction.OUTPUT) is FailMode.CLOSED


def test_policies_are_immutable() -> None:
    policy = default_policy()
    with pytest.raises(ValueError, match="frozen"):
        policy.version = 2  # type: ignore[misc]
