from __future__ import annotations

import pytest

from trueport.guard.base import Direction
from trueport.guard.policy import (
    Action,
    DetectorPolicy,
    DirectionPolicy,
    FailMode,
    Policy,
    PolicyError,
    RunMode,
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
        "pii": (Action.REDACT, Action.REDACT, FailMode.CLOSED, RunMode.INLINE),
        "secrets": (Action.BLOCK, Action.REDACT, FailMode.CLOSED, RunMode.INLINE),
        "injection": (Action.BLOCK, Action.OFF, FailMode.OPEN, RunMode.INLINE),
        "bias": (Action.FLAG, Action.FLAG, FailMode.OPEN, RunMode.INLINE),
    }
    assert policy.version == 1 and not policy.shadow
    assert not policy.restore_in_tool_arguments and not policy.store_bodies


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
