"""Region names, pinning arithmetic, and the ``region`` / ``regions`` settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from trueport.gateway.router import Router, Target
from trueport.providers.fixed import FixedAnswerAdapter
from trueport.regions import allowed_regions
from trueport.settings import ProviderConfig, RouteConfig, load_settings

EU = frozenset({"eu-west-1", "eu-central-1"})


def test_pinnings_intersect_and_none_means_not_pinned() -> None:
    assert allowed_regions(None, None) is None
    assert allowed_regions(EU, None) == EU
    assert allowed_regions(None, frozenset({"eu-west-1"})) == frozenset({"eu-west-1"})
    assert allowed_regions(EU, frozenset({"eu-central-1", "us-east-1"})) == frozenset({"eu-central-1"})
    assert allowed_regions(EU, frozenset({"us-east-1"})) == frozenset()


def test_a_target_without_a_region_is_outside_every_pinning() -> None:
    adapter = FixedAnswerAdapter("x", "hi")
    assert Target("a", "m", adapter).in_regions(None)
    assert not Target("a", "m", adapter).in_regions(EU)
    assert Target("a", "m", adapter, region="eu-west-1").in_regions(EU)
    assert not Target("a", "m", adapter, region="us-east-1").in_regions(EU)
    assert not Target("a", "m", adapter, region="us-east-1").in_regions(frozenset())
    assert Target("fallback", "m", adapter, local=True).in_regions(frozenset())  # answered by the gateway


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("openai", {}), ("anthropic", {}), ("gemini", {}), ("azure_openai", {"api_version": "2024-10-21"})],
)
@pytest.mark.parametrize("region", ["eu-west-1", "europe-west4", "eastus"])
def test_every_provider_type_may_name_its_region(kind: str, extra: dict[str, str], region: str) -> None:
    config = ProviderConfig.model_validate(
        {"type": kind, "base_url": "https://x.example", "region": region, **extra}
    )
    assert config.serving_region == region


@pytest.mark.parametrize("region", ["EU-WEST-1", "eu west", "-eu", "eu-", "", "x" * 70])
def test_malformed_regions_are_refused(region: str) -> None:
    with pytest.raises(ValidationError):
        ProviderConfig.model_validate({"type": "openai", "base_url": "https://x.example", "region": region})
    with pytest.raises(ValidationError):
        RouteConfig.model_validate({"targets": [], "regions": [region]})


def test_a_route_pinned_to_no_region_at_all_is_refused() -> None:
    with pytest.raises(ValidationError):
        RouteConfig.model_validate({"targets": [], "regions": []})


def test_the_router_knows_each_targets_region_and_each_aliass_pinning() -> None:
    settings = load_settings(
        database="sqlite:///:memory:",
        providers={
            "eu": {"type": "openai", "base_url": "https://eu.example/v1", "region": "eu-west-1"},
            "bare": {"type": "openai", "base_url": "https://bare.example/v1"},
        },
        models={
            "chat": {
                "targets": [{"provider": "eu", "model": "m"}, {"provider": "bare", "model": "m"}],
                "fallback": {"provider": "eu", "model": "f"},
                "regions": ["eu-west-1"],
            },
            "free": [{"provider": "eu", "model": "m"}],
        },
    )
    adapters = {name: FixedAnswerAdapter(name, "hi") for name in settings.providers}
    router = Router.from_settings(settings, adapters)  # type: ignore[arg-type]
    targets = router.targets("chat")
    assert targets is not None
    assert [t.region for t in targets] == ["eu-west-1", None]
    fallback = router.fallback("chat")
    assert fallback is not None and fallback.region == "eu-west-1"
    assert router.regions("chat") == frozenset({"eu-west-1"})
    assert router.regions("free") is None
    assert router.provider_region("eu") == "eu-west-1"
    assert router.provider_region("bare") is None


def test_bedrock_and_vertex_serve_from_the_region_they_call() -> None:
    bedrock = ProviderConfig.model_validate({"type": "bedrock", "region": "eu-west-1"})
    assert bedrock.serving_region == "eu-west-1"
    vertex = {"type": "vertex", "project": "acme-prod-1"}
    assert (
        ProviderConfig.model_validate({**vertex, "location": "europe-west4"}).serving_region == "europe-west4"
    )
    assert ProviderConfig.model_validate({**vertex, "location": "global"}).serving_region is None
    named = ProviderConfig.model_validate({**vertex, "location": "global", "region": "europe-west4"})
    assert named.serving_region == "europe-west4"  # the operator knows where its global calls go
