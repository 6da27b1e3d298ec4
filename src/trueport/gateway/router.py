"""Model aliases and the ordered provider targets behind each."""

from __future__ import annotations

from dataclasses import dataclass

from trueport.providers.base import ProviderAdapter
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
    def __init__(self, routes: dict[str, tuple[Target, ...]]):
        self._routes = routes

    @classmethod
    def from_settings(cls, settings: Settings, adapters: dict[str, ProviderAdapter]) -> Router:
        return cls(
            {
                alias: tuple(Target(t.provider, t.model, adapters[t.provider]) for t in route.targets)
                for alias, route in settings.models.items()
            }
        )

    def targets(self, alias: str) -> tuple[Target, ...] | None:
        return self._routes.get(alias)

    @property
    def aliases(self) -> list[str]:
        return sorted(self._routes)
