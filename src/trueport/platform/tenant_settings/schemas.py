"""What ``/settings`` reads and returns: a tenant's free-form settings and its feature flags.

Settings are any JSON values under short lower-case names (``ui.theme``, ``retention_days``);
feature flags are booleans under the same kind of name. A PATCH merges: a name set to ``null`` is
deleted, names left out are kept. Bounds keep one tenant's row small: at most ``MAX_ENTRIES``
settings and flags, and the settings object at most ``MAX_SETTINGS_BYTES`` once encoded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, Strict, StringConstraints, field_validator

from trueport.jsonutil import dumps
from trueport.regions import MAX_REGIONS, RegionName

NAME_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"
MAX_ENTRIES = 100  # settings, and separately feature flags
MAX_SETTINGS_BYTES = 16 * 1024

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]

_SETTINGS_EXAMPLE: dict[str, Any] = {
    "ui.theme": "dark",
    "retention_days": 30,
    "alerts.recipients": ["ops@acme.example"],
}
_FLAGS_EXAMPLE: dict[str, Any] = {"playground": True, "beta.responses_api": False}


class SettingsOut(BaseModel):
    """The tenant's settings and feature flags; both empty (and ``updated_at`` null) until the first write."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "settings": _SETTINGS_EXAMPLE,
                    "feature_flags": _FLAGS_EXAMPLE,
                    "updated_at": "2025-05-01T09:30:00Z",
                }
            ]
        }
    )

    settings: dict[str, JsonValue]
    feature_flags: dict[str, bool]
    updated_at: datetime | None = Field(description="Last change; null if nothing was ever saved.")


class SettingsPatch(BaseModel):
    """Changes to merge: a name set to `null` is deleted, names left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,  # NaN and Infinity are not JSON: PostgreSQL would refuse them
        json_schema_extra={
            "examples": [
                {
                    "settings": {"ui.theme": "light", "retention_days": None},
                    "feature_flags": {"beta.responses_api": True},
                }
            ]
        },
    )

    settings: dict[Name, JsonValue] | None = Field(
        default=None,
        max_length=MAX_ENTRIES,
        description=f"Name (`{NAME_PATTERN}`) to any JSON value, or null to delete. At most "
        f"{MAX_ENTRIES} settings in all, {MAX_SETTINGS_BYTES} bytes encoded.",
    )
    feature_flags: dict[Name, Annotated[bool, Strict()] | None] | None = Field(
        default=None,
        max_length=MAX_ENTRIES,
        description=f"Flag name to true or false, or null to delete. At most {MAX_ENTRIES} flags.",
    )

    @field_validator("settings")
    @classmethod
    def _encodable(cls, value: dict[str, JsonValue] | None) -> dict[str, JsonValue] | None:
        """Refuse what the gateways could not encode back: integers beyond 64 bits, lone surrogates,
        nesting deeper than 254 levels (``orjson``'s limits)."""
        try:
            dumps(value)
        except TypeError as exc:
            raise ValueError(f"not storable as JSON: {exc}") from None
        return value


class RegionsIn(BaseModel):
    """The tenant's region pinning, replaced whole: a list of region names, or null to unpin."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"allowed_regions": ["eu-west-1", "eu-central-1"]}]}
    )

    allowed_regions: list[RegionName] | None = Field(
        min_length=1,
        max_length=MAX_REGIONS,
        description="Calls of the tenant are served only by providers whose region is listed "
        "(e.g. `eu-west-1`, `europe-west4`, `westeurope`); a provider with no region is outside. "
        "Null: not pinned.",
    )


class RegionsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"allowed_regions": ["eu-central-1", "eu-west-1"]}]}
    )

    allowed_regions: list[str] | None = Field(description="Sorted; null when the tenant is not pinned.")
