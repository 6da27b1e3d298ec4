"""Where the gateway asks its feature flags: the guard's shadow trial (policies with trial detectors
added in shadow mode), route targets held back by a flag, and the config file's checks on both."""

from __future__ import annotations

from typing import Any

import pytest

from trueport.errors import ConfigError
from trueport.flags.registry import Flag
from trueport.gateway.router import Router
from trueport.gateway.tenant_policies import TenantPolicies, with_shadow_trial
from trueport.guard.base import Direction
from trueport.guard.messages import guard_request
from trueport.guard.policy import Action, Policy, default_policy
from trueport.guard.redaction import RedactionMap
from trueport.guard.registry import default_detectors
from trueport.settings import load_settings

AWS_KEY = "AKIA" + "QYLPMN5HHHFPZAM2"
EMPTY = Policy(version=3)


def test_a_trial_adds_the_detectors_the_policy_leaves_off_in_shadow() -> None:
    trial = with_shadow_trial(EMPTY, ["secrets", "pii"])
    assert trial.version == 3, "findings still name the tenant's policy version"
    for name in ("secrets", "pii"):
        rule = trial.detectors[name]
        assert rule.shadow and rule.input.action is Action.FLAG
        assert not rule.output.active, "answers are not part of the trial"


def test_a_detector_the_policy_runs_keeps_its_rule() -> None:
    policy = default_policy()
    assert policy.detectors["secrets"].input.active
    assert with_shadow_trial(policy, ["secrets"]) is policy


def test_a_detector_that_is_off_on_the_way_in_is_trialled() -> None:
    data = default_policy().model_dump(mode="json")
    data["detectors"]["secrets"]["input"] = {"action": "off"}
    policy = Policy.model_validate(data)
    trial = with_shadow_trial(policy, ["secrets"])
    assert trial.detectors["secrets"].shadow
    assert trial.detectors["pii"] == policy.detectors["pii"]


def test_trial_findings_are_recorded_and_not_enforced() -> None:
    detectors = default_detectors(["secrets"])
    policies = TenantPolicies(detectors, EMPTY, trial=["secrets"])
    assert not policies.engine_for("t").active(Direction.INPUT)
    engine = policies.trial_engine_for("t")
    assert engine is policies.trial_engine_for("t"), "built once"
    request = {"messages": [{"role": "user", "content": f"my key is {AWS_KEY}"}]}
    decision = guard_request(engine, request, RedactionMap()).decision
    assert decision.block is None and not decision.redactions and not decision.flags
    assert [f.finding.detector for f in decision.shadowed] == ["secrets"]


def test_trial_engines_are_dropped_at_each_reload() -> None:
    policies = TenantPolicies(default_detectors(["secrets"]), EMPTY, trial=["secrets"])
    first = policies.trial_engine_for("t")
    policies.replace([])
    assert policies.trial_engine_for("t") is not first
    plain = TenantPolicies(default_detectors(["secrets"]), EMPTY)
    assert plain.trial_engine_for("t") is plain.engine_for("t"), "no trial configured: the same engine"


def _settings(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "providers": {
            "a": {"type": "openai", "base_url": "http://127.0.0.1:1/v1"},
            "b": {"type": "openai", "base_url": "http://127.0.0.1:2/v1"},
        },
        "models": {
            "m": [
                {"provider": "b", "model": "new", "flag": "canary_targets"},
                {"provider": "a", "model": "old"},
            ]
        },
    }
    values.update(overrides)
    return load_settings(**values)


def test_route_targets_carry_their_flag() -> None:
    settings = _settings()
    router = Router.from_settings(settings, {"a": object(), "b": object()})  # type: ignore[dict-item]
    targets = router.targets("m")
    assert targets is not None
    assert [(t.provider, t.flag) for t in targets] == [("b", Flag.CANARY_TARGETS), ("a", None)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"models": {"m": [{"provider": "a", "model": "x", "flag": "nope"}]}}, "canary_targets"),
        (
            {"models": {"m": [{"provider": "a", "model": "x", "flag": "canary_targets"}]}},
            "at least one target that no flag holds back",
        ),
        ({"flags": {"nope": {"enabled": True}}}, "nope"),
        ({"flags": {"response_cache": {"enabled": True, "percent": 140}}}, "100"),
        ({"guard": {"detectors": ["pii"], "shadow_trial": ["secrets"]}}, "not in guard.detectors: secrets"),
    ],
)
def test_the_config_file_is_checked(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _settings(**overrides)
