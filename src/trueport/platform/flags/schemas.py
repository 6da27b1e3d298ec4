"""What ``/flags`` and ``/admin/flags`` read and return: the known flags and their rules.

A rule is ``{"enabled", "percent", "keys"}`` for a tenant, plus ``"tenants"`` installation-wide
(``trueport.flags.rules.FlagRule``; see docs/flags.md for how one answers a call).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from trueport.flags.rules import FlagRule

_ID = Annotated[str, StringConstraints(min_length=1, max_length=64)]

_RULE_EXAMPLE: dict[str, Any] = {"enabled": True, "percent": 30.0, "keys": []}


class TenantFlagRule(BaseModel):
    """A tenant's rule for one flag: on for the listed keys, and for ``percent`` % of the others."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_RULE_EXAMPLE]})

    enabled: bool = Field(description="False turns the flag off for every key of the tenant.")
    percent: float = Field(
        default=100.0,
        ge=0.0,
        le=100.0,
        allow_inf_nan=False,
        description="Share of the tenant's keys the flag is on for (0 to 100), by stable hashing of the key id.",
    )
    keys: list[_ID] = Field(
        default_factory=list, max_length=1000, description="Ids of the tenant's keys that always get it."
    )

    def rule(self) -> FlagRule:
        return FlagRule(enabled=self.enabled, percent=self.percent, keys=tuple(self.keys))


class TenantFlagOut(BaseModel):
    """One known flag as the tenant sees it: its own rule (if any) and the installation's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "response_cache",
                    "description": "The response cache of aliases that set cache_ttl_s; ...",
                    "default": True,
                    "tenant": _RULE_EXAMPLE,
                    "installation": {"enabled": True, "percent": 100.0, "tenants": [], "keys": []},
                }
            ]
        }
    )

    name: str
    description: str
    default: bool = Field(description="The answer when no rule is set anywhere.")
    tenant: FlagRule | None = Field(description="The tenant's own rule, which wins; null: none.")
    installation: FlagRule = Field(description="The installation-wide rule, used when the tenant has none.")


class InstallationFlagOut(BaseModel):
    """One known flag installation-wide: the config file's rule, the API's, and the one in force."""

    name: str
    description: str
    default: bool
    configured: FlagRule = Field(description="From the config file's `flags:` (else the default).")
    stored: FlagRule | None = Field(description="Set through this API; replaces `configured`. Null: none.")
    effective: FlagRule = Field(description="The rule in force for tenants without one of their own.")


class FlagsOut(BaseModel):
    flags: list[TenantFlagOut]


class InstallationFlagsOut(BaseModel):
    flags: list[InstallationFlagOut]


class InstallationFlagRule(FlagRule):
    """An installation-wide rule: a tenant rule's fields plus ``tenants``, the tenant ids always on."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [_RULE_EXAMPLE]})

    def rule(self) -> FlagRule:
        return FlagRule.model_validate(self.model_dump())


__all__ = [
    "FlagsOut",
    "InstallationFlagOut",
    "InstallationFlagRule",
    "InstallationFlagsOut",
    "TenantFlagOut",
    "TenantFlagRule",
]
