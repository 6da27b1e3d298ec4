"""What ``/keys`` reads and returns. Only ``CreatedKeyOut`` (creation and rotation) carries the secret."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from trueport.db.models import ApiKey
from trueport.keys.service import MAX_NAME_LENGTH, KeyStatus, key_status

MAX_OVERLAP_S = 30 * 86_400
_MAX_LIFETIME_S = 10 * 366 * 86_400
_MAX_LIMIT = 2_000_000_000  # the columns are 32-bit integers

_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # no control characters (PostgreSQL refuses NUL in text)

Alias = Annotated[str, Field(min_length=1, max_length=200, pattern=_PRINTABLE)]
Models = Annotated[
    list[Alias] | None,
    Field(max_length=200, description="Model aliases the key may use; null: every model."),
]
Limit = Annotated[int | None, Field(ge=1, le=_MAX_LIMIT)]

_KEY_EXAMPLE: dict[str, Any] = {
    "id": "0f6a3c52-8f0e-4d8e-9a57-3b3c1f0d2a11",
    "name": "billing service",
    "prefix": "tp_a1B2c3",
    "models": ["gpt-4o-mini"],
    "rpm_limit": 600,
    "tpm_limit": None,
    "expires_at": None,
    "revoked_at": None,
    "created_at": "2025-05-01T09:30:00Z",
    "created_by": "5b1d2c3e-4f50-4a61-9b72-8c9d0e1f2a3b",
    "status": "active",
}


class KeyOut(BaseModel):
    """A key as listed and read: never its secret (only an HMAC of it is stored)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_KEY_EXAMPLE]})

    id: str
    name: str
    prefix: str = Field(description="The secret's first characters, to tell keys apart.")
    models: list[str] | None = Field(description="Aliases the key may use; null: every model.")
    rpm_limit: int | None = Field(description="Requests per minute; null: no limit of its own.")
    tpm_limit: int | None = Field(description="Tokens per minute; null: no limit of its own.")
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    created_by: str | None = Field(
        description="The user whose key it is: they and the tenant's admins and owners may change it; "
        "null: made by the operator."
    )
    status: KeyStatus

    @classmethod
    def of(cls, key: ApiKey, now: datetime | None = None) -> KeyOut:
        return cls(**_fields(key, now))


class CreatedKeyOut(KeyOut):
    """A key just created or rotated, with its secret: shown this once, never again."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_KEY_EXAMPLE, "secret": "tp_a1B2c3" + "x" * 26 + "0aZ9bY"}]}
    )

    secret: str = Field(description="The key itself. Store it now: it cannot be shown again.")

    @classmethod
    def created(cls, key: ApiKey, secret: str) -> CreatedKeyOut:
        return cls(**_fields(key, None), secret=secret)


def _fields(key: ApiKey, now: datetime | None) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "models": key.models,
        "rpm_limit": key.rpm_limit,
        "tpm_limit": key.tpm_limit,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "created_at": key.created_at,
        "created_by": key.created_by,
        "status": key_status(key, now),
    }


class KeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "billing service", "models": ["gpt-4o-mini"], "rpm_limit": 600}]
        },
    )

    name: str = Field(default="", max_length=MAX_NAME_LENGTH, pattern=_PRINTABLE)
    models: Models = None
    rpm_limit: Limit = None
    tpm_limit: Limit = None
    expires_in_s: int | None = Field(
        default=None, ge=1, le=_MAX_LIFETIME_S, description="Lifetime in seconds (or give `expires_at`)."
    )
    expires_at: AwareDatetime | None = Field(default=None, description="When the key stops working.")

    @model_validator(mode="after")
    def _one_expiry(self) -> KeyCreate:
        if self.expires_in_s is not None and self.expires_at is not None:
            raise ValueError("give either expires_in_s or expires_at, not both")
        return self


class KeyUpdate(BaseModel):
    """Only the fields present change; an explicit null clears a limit, the model list or the expiry."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"rpm_limit": 1200, "tpm_limit": None}]},
    )

    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH, pattern=_PRINTABLE)
    models: Models = None
    rpm_limit: Limit = None
    tpm_limit: Limit = None
    expires_at: AwareDatetime | None = None

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("a key's name cannot be null; use an empty string")
        return value


class KeyRotate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"overlap_s": 3600}]})

    overlap_s: int | None = Field(
        default=None,
        ge=0,
        le=MAX_OVERLAP_S,
        description="How long the old key keeps working (0: revoked at once). "
        "Default: the installation's `platform.key_rotation_overlap_s`.",
    )
