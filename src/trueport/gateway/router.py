"""Model aliases and the ordered provider targets behind each."""

from __future__ import annotations

from dataclasses import dataclass

from trueport.providers.base import ProviderAdapter
from trueport.providers.fixed import FIXED_MODEL, FixedAnswerAdapter
from trueport.settings import Settings


@dataclass(frozen=True, slots=True)
class Target:
    provider: str  # the provider's name in the config
    model: str  # the model (or deployment) name at that provider
    adapter: ProviderAdapter

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"


class Router:
    def __init__(self, routes: dict[str, tuple[Target, ...]], fallbacks: dict[str, Target] | None = None):
        self._routes = routes
        self._fallbacks = fallbacks or {}

    @classmethod
    def from_settings(cls, settings: Settings, adapters: dict[str, ProviderAdapter]) -> Router:
        routes: dict[str, tuple[Target, ...]] = {}
        fallbacks: dict[str, Target] = {}
        for alias, route in settings.models.items():
            routes[alias] = tuple(Target(t.provider, t.model, adapters[t.provider]) for t in route.targets)
            fallback = route.fallback
            if fallback is None:
                continue
            if fallback.message is not None:
                fallbacks[alias] = Target(
                    "fallback", FIXED_MODEL, FixedAnswerAdapter("fallback", fallback.message)
                )
            elif fallback.provider is not None and fallback.model is not None:
                fallbacks[alias] = Target(fallback.provider, fallback.model, adapters[fallback.provider])
        return cls(routes, fallbacks)

    def fallback(self, alias: str) -> Target | None:
        """The answer of last resort for ``alias`` when every target failed, if it has one."""
        return self._fallbacks.get(alias)

    def targets(self, alias: str) -> tuple[Target, ...] | None:
        return self._routes.get(alias)

    @property
    def aliases(self) -> list[str]:
        return sorted(self._routes)
