"""The control plane's settings refuse weak or inconsistent secrets at start-up."""

from __future__ import annotations

import base64
import secrets

import pytest

from trueport.errors import ConfigError
from trueport.settings import load_settings

GOOD_SECRET = "kq3VJ0dT9xw8Lr2pZ7yHc5mB1nF4gE6aUoWsXiRtYvQe"
MASTER = base64.b64encode(secrets.token_bytes(32)).decode()
PRODUCTION = {
    "environment": "production",
    "secret_key": "x" * 8 + GOOD_SECRET,
}


def test_a_random_signing_secret_of_32_bytes_is_accepted() -> None:
    settings = load_settings(platform={"jwt_secret": GOOD_SECRET})
    assert settings.platform.jwt_secret is not None
    assert GOOD_SECRET not in repr(settings)  # never printed


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("short-but-random-9f8e7d", "at least 32 bytes"),
        ("a" * 64, "does not look random"),
        ("changeme-changeme-changeme-changeme-0123456789", "does not look random"),
    ],
)
def test_a_weak_signing_secret_refuses_to_start(secret: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_settings(platform={"jwt_secret": secret})


def test_production_needs_a_signing_secret_and_master_keys() -> None:
    with pytest.raises(ConfigError, match="jwt_secret is required"):
        load_settings(**PRODUCTION, platform={"master_keys": {"k1": MASTER}, "active_master_key": "k1"})
    with pytest.raises(ConfigError, match="master_keys is required"):
        load_settings(**PRODUCTION, platform={"jwt_secret": GOOD_SECRET})
    settings = load_settings(
        **PRODUCTION,
        platform={"jwt_secret": GOOD_SECRET, "master_keys": {"k1": MASTER}, "active_master_key": "k1"},
    )
    assert settings.platform.active_master_key == "k1"


@pytest.mark.parametrize(
    ("platform", "problem"),
    [
        ({"master_keys": {"k1": "not base64!"}, "active_master_key": "k1"}, "must be base64"),
        ({"master_keys": {"k1": base64.b64encode(b"short").decode()}, "active_master_key": "k1"}, "32 bytes"),
        ({"master_keys": {"k1": MASTER}, "active_master_key": "k2"}, "must name one of"),
        ({"active_master_key": "k1"}, "master_keys is empty"),
        ({"cors_allow_origin_regex": "(unclosed"}, "cors_allow_origin_regex"),
    ],
)
def test_inconsistent_platform_settings_are_refused(platform: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_settings(platform=platform)


def test_private_upstreams_are_allowed_only_in_development_unless_configured() -> None:
    assert load_settings().private_upstreams_allowed is True
    production = load_settings(
        **PRODUCTION,
        platform={"jwt_secret": GOOD_SECRET, "master_keys": {"k1": MASTER}, "active_master_key": "k1"},
    )
    assert production.private_upstreams_allowed is False
    assert load_settings(platform={"allow_private_upstreams": False}).private_upstreams_allowed is False


def test_shared_models_name_configured_providers_and_nothing_is_shared_by_default() -> None:
    provider = {"type": "openai", "base_url": "https://api.openai.com/v1"}
    assert load_settings(providers={"oa": provider}).platform.tenant_shared_models == {}
    shared = load_settings(providers={"oa": provider}, platform={"tenant_shared_models": {"oa": ["gpt-4o"]}})
    assert shared.platform.tenant_shared_models == {"oa": ["gpt-4o"]}
    with pytest.raises(ConfigError, match="tenant_shared_models names unknown provider 'nope'"):
        load_settings(providers={"oa": provider}, platform={"tenant_shared_models": {"nope": ["m"]}})


def test_metrics_are_private_by_default() -> None:
    assert load_settings().metrics.public is False
    assert load_settings(metrics={"public": True}).metrics.public is True
