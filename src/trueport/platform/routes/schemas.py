"""What ``/routes`` accepts and returns: a model alias, its targets in order, an optional fallback."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trueport.db.models import TenantRoute
from trueport.regions import MAX_REGIONS, RegionName

ALIAS_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"

ProviderName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="One of the tenant's credential names, or an installation provider the operator shares "
        "with tenants (`platform.tenant_shared_models`).",
        examples=["openai-prod"],
    ),
]
ModelName = Annotated[
    str, Field(min_length=1, max_length=200, description="The model at that provider.", examples=["gpt-4o"])
]


class RouteTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderName
    model: ModelName


class RouteFallback(BaseModel):
    """Either a fixed ``message`` or one more ``provider`` and ``model``, answered when every target failed."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"message": "Please try again later."}]}
    )

    message: str | None = Field(default=None, min_length=1, max_length=4000)
    provider: ProviderName | None = None
    model: ModelName | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> RouteFallback:
        if (self.message is None) == (self.provider is None):
            raise ValueError("a fallback is either a message or a provider and model")
        if (self.provider is None) != (self.model is None):
            raise ValueError("a fallback target needs both provider and model")
        return self


class RouteIn(BaseModel):
    """A whole route: ``POST`` creates one, ``PUT`` replaces one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "alias": "chat",
                    "targets": [
                        {"provider": "openai-prod", "model": "gpt-4o-mini"},
                        {"provider": "anthropic-prod", "model": "claude-sonnet-4-5"},
                    ],
                    "fallback": {"message": "The assistant is unavailable; please try again later."},
                    "cache_ttl_s": 60,
                }
            ]
        },
    )

    alias: str = Field(
        min_length=1,
        max_length=200,
        pattern=ALIAS_PATTERN,
        description="The `model` clients send; shadows an installation alias of the same name.",
    )
    targets: list[RouteTarget] = Field(min_length=1, max_length=10, description="Tried in order.")
    fallback: RouteFallback | None = None
    cache_ttl_s: float | None = Field(
        default=None, gt=0, le=30 * 86_400, description="Opt-in exact-match response cache, in seconds."
    )
    regions: list[RegionName] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_REGIONS,
        description="Region pinning: calls go only to targets whose provider region is listed (and the "
        "tenant's allowed regions apply too). Null: not pinned.",
        examples=[["eu-west-1", "eu-central-1"]],
    )

    def providers(self) -> list[str]:
        return [provider for provider, _ in self.pairs()]

    def pairs(self) -> list[tuple[str, str]]:
        """Every (provider, model) the route may call: its targets, then its fallback target."""
        pairs = [(target.provider, target.model) for target in self.targets]
        if (
            self.fallback is not None
            and self.fallback.provider is not None
            and self.fallback.model is not None
        ):
            pairs.append((self.fallback.provider, self.fallback.model))
        return pairs


class RouteOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6d2f1f0e-93b4-4a57-8a0b-2f1c2d3e4f50",
                    "alias": "chat",
                    "targets": [{"provider": "openai-prod", "model": "gpt-4o-mini"}],
                    "fallback": None,
                    "cache_ttl_s": None,
                    "created_at": "2026-01-05T10:00:00Z",
                    "updated_at": "2026-01-05T10:00:00Z",
                }
            ]
        }
    )

    id: str
    alias: str
    targets: list[RouteTarget]
    fallback: RouteFallback | None
    cache_ttl_s: float | None
    regions: list[str] | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: TenantRoute) -> RouteOut:
        return cls(
            id=row.id,
            alias=row.alias,
            targets=[RouteTarget.model_validate(target) for target in row.targets],
            fallback=RouteFallback.model_validate(row.fallback) if row.fallback is not None else None,
            cache_ttl_s=row.cache_ttl_s,
            regions=row.regions,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
