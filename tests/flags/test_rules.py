"""A flag rule's answer: master switch, targeting by tenant and key, and stable percentage buckets."""

from __future__ import annotations

from hashlib import blake2b

import pytest
from pydantic import ValidationError

from trueport.flags.rules import BUCKETS, FlagRule, bucket


def test_the_bucket_is_blake2b_of_the_flag_and_the_key() -> None:
    digest = blake2b(b"response_cache\0key-1", digest_size=8).digest()
    assert bucket("response_cache", "key-1") == int.from_bytes(digest, "big") % BUCKETS
    assert 0 <= bucket("x", "y") < BUCKETS


def test_the_bucket_depends_on_the_flag_too() -> None:
    keys = [f"key-{n}" for n in range(2_000)]
    on_a = {k for k in keys if bucket("flag_a", k) < 3_000}
    on_b = {k for k in keys if bucket("flag_b", k) < 3_000}
    assert on_a != on_b, "two flags at 30 % must not pick the same keys"
    overlap = len(on_a & on_b) / len(keys)
    assert 0.05 < overlap < 0.15  # independent picks: about 0.3 x 0.3


def test_switched_off_wins_over_everything() -> None:
    rule = FlagRule(enabled=False, percent=100, tenants=("t1",), keys=("k1",)).compiled()
    assert not rule.decides("f", "t1", "k1")


def test_listed_tenants_and_keys_are_on_whatever_the_percentage() -> None:
    rule = FlagRule(enabled=True, percent=0, tenants=("t1",), keys=("k9",)).compiled()
    assert rule.decides("f", "t1", "k1")
    assert rule.decides("f", "t2", "k9")
    assert not rule.decides("f", "t2", "k1")


def test_full_and_empty_rollouts_need_no_hash() -> None:
    assert FlagRule(enabled=True).compiled().decides("f", None, None)
    assert not FlagRule(enabled=True, percent=0).compiled().decides("f", "t", "k")


def test_a_partial_rollout_picks_by_bucket_and_keeps_its_keys_as_it_grows() -> None:
    keys = [f"k{n}" for n in range(5_000)]
    at_10 = {k for k in keys if FlagRule(enabled=True, percent=10).compiled().decides("f", "t", k)}
    at_30 = {k for k in keys if FlagRule(enabled=True, percent=30).compiled().decides("f", "t", k)}
    assert at_10 < at_30, "raising the percentage only adds keys"
    assert at_30 == {k for k in keys if bucket("f", k) < 3_000}
    assert 0.27 < len(at_30) / len(keys) < 0.33


def test_without_a_key_the_tenant_is_the_subject() -> None:
    rule = FlagRule(enabled=True, percent=50).compiled()
    tenants = [f"t{n}" for n in range(400)]
    assert [rule.decides("f", t, None) for t in tenants] == [bucket("f", t) < 5_000 for t in tenants]
    assert not rule.decides("f", None, None)


@pytest.mark.parametrize("percent", [-1, 100.5, float("nan"), float("inf")])
def test_percentages_outside_0_to_100_are_refused(percent: float) -> None:
    with pytest.raises(ValidationError):
        FlagRule(enabled=True, percent=percent)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        FlagRule.model_validate({"enabled": True, "percentage": 30})
