"""Model aliases and the ordered provider targets behind each (the config file's ``models:``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trueport.flags.registry import Flag
from trueport.providers.base import ProviderAdapter
from trueport.providers.fixed import FIXED_MODEL, FixedAnswerAdapter
from trueport.settings import FallbackConfig, Settings


@dataclass(frozen=True, slots=True)
class Target:
    provider: str  # the provider's name in the config, or a tenant's credential name
    model: str  # the model (or deployment) name at that provider
    adapter: ProviderAdapter
    owner: str | None = None  # a tenant credential's id: its name is only unique within its tenant
    flag: Flag | None = None  # tried only for the calls this feature flag is on for
    region: str | None = None  # where the provider serves from (region pinning); None: no region
    local: bool = False  # answered by the gateway itself (a fixed fallback): no upstream, no region

    def in_regions(self, allowed: frozenset[str] | None) -> bool:
        """Whether a call pinned to ``allowed`` (None: not pinned) may be sent to this target."""
        return allowed is None or self.local or self.region in allowed

    @property
    def label(self) -> str:
        """Names the target in breakers, metrics and records; unique across tenants."""
        if self.owner is not None:
            return f"{self.provider}@{self.owner}/{self.model}"
        return f"{self.provider}/{self.model}"


def fallback_target(fallback: FallbackConfig, target: Callable[[str, str], Target | None]) -> Target | None:
    """The target a fallback names: a fixed answer, or ``target(provider, model)``."""
    if fallback.message is not None:
        # Answered by the gateway itself: nothing leaves it, so it is in every region.
        return Target("fallback", FIXED_MODEL, FixedAnswerAdapter("fallback", fallback.message), local=True)
    if fallback.provider is not None and fallback.model is not None:
        return target(fallback.provider, fallback.model)
    return None


class Router:
    def __init__(
        self,
        routes: dict[str, tuple[Target, ...]],
        fallbacks: dict[str, Target] | None = None,
        adapters: dict[str, ProviderAdapter] | None = None,
        cache_ttls: dict[str, float] | None = None,
        max_tokens: dict[str, int] | None = None,
        regions: dict[str, frozenset[str]] | None = None,
        provider_regions: dict[str, str] | None = None,
    ):
        self._routes = routes
        self._fallbacks = fallbacks or {}
        self._adapters = adapters or {}
        self._cache_ttls = cache_ttls or {}
        self._max_tokens = max_tokens or {}
        self._regions = regions or {}  # alias -> allowed regions (pinned aliases only)
        self._provider_regions = provider_regions or {}  # provider -> its region (those that have one)

    @classmethod
    def from_settings(cls, settings: Settings, adapters: dict[str, ProviderAdapter]) -> Router:
        provider_regions = {
            name: region
            for name, config in settings.providers.items()
            if (region := config.serving_region) is not None
        }

        def target(provider: str, model: str) -> Target:
            return Target(provider, model, adapters[provider], region=provider_regions.get(provider))

        routes: dict[str, tuple[Target, ...]] = {}
        fallbacks: dict[str, Target] = {}
        cache_ttls: dict[str, float] = {}
        max_tokens: dict[str, int] = {}
        regions: dict[str, frozenset[str]] = {}
        for alias, route in settings.models.items():
            routes[alias] = tuple(
                Target(
                    t.provider,
                    t.model,
                    adapters[t.provider],
                    flag=t.flag,
                    region=provider_regions.get(t.provider),
                )
                for t in route.targets
            )
            if route.regions is not None:
                regions[alias] = frozenset(route.regions)
            fallback = fallback_target(route.fallback, target) if route.fallback is not None else None
            if fallback is not None:
                fallbacks[alias] = fallback
            if route.cache_ttl_s is not None:
                cache_ttls[alias] = route.cache_ttl_s
            if route.default_max_tokens is not None:
                max_tokens[alias] = route.default_max_tokens
        return cls(routes, fallbacks, adapters, cache_ttls, max_tokens, regions, provider_regions)

    def fallback(self, alias: str) -> Target | None:
        """The answer of last resort for ``alias`` when every target failed, if it has one."""
        return self._fallbacks.get(alias)

    def targets(self, alias: str) -> tuple[Target, ...] | None:
        return self._routes.get(alias)

    def cache_ttl_s(self, alias: str) -> float | None:
        return self._cache_ttls.get(alias)

    def default_max_tokens(self, alias: str) -> int | None:
        """The completion tokens to reserve for a request to ``alias`` that sets no max_tokens."""
        return self._max_tokens.get(alias)

    def regions(self, alias: str) -> frozenset[str] | None:
        """The regions ``alias`` is pinned to (``models.<alias>.regions``); None: not pinned."""
        return self._regions.get(alias)

    def provider_region(self, provider: str) -> str | None:
        """The configured provider's region, if it has one."""
        return self._provider_regions.get(provider)

    def adapter(self, provider: str) -> ProviderAdapter | None:
        """The configured provider ``provider`` (tenants' routes may name it too)."""
        return self._adapters.get(provider)

    @property
    def aliases(self) -> list[str]:
        return sorted(self._routes)
