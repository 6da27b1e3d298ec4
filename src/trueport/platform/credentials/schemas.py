"""What ``/credentials`` accepts and returns. ``api_key`` is write-only: no response carries it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from trueport.db.models import ProviderCredential
from trueport.regions import RegionName
from trueport.settings import KeyedProviderType

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"

BaseUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2048,
        description="The provider's API root; https, and not a private address outside development.",
        examples=["https://api.openai.com/v1"],
    ),
]
ApiKey = Annotated[
    SecretStr,
    Field(min_length=1, max_length=4096, description="The provider's API key. Write-only: never returned."),
]
ApiVersion = Annotated[
    str, Field(min_length=1, max_length=32, description="Azure OpenAI only.", examples=["2024-10-21"])
]


class CredentialCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "openai-prod",
                    "type": "openai",
                    "base_url": "https://api.openai.com/v1",
                    "api_key": "sk-proj-...",
                }
            ]
        },
    )

    name: str = Field(
        pattern=NAME_PATTERN,
        description="Unique in the tenant; routes name it as their `provider`.",
        examples=["openai-prod"],
    )
    type: KeyedProviderType
    base_url: BaseUrl
    api_key: ApiKey
    api_version: ApiVersion | None = None
    region: RegionName | None = Field(
        default=None, description="Where the account serves from, for region pinning (e.g. `eu-west-1`)."
    )

    @model_validator(mode="after")
    def _azure_needs_version(self) -> CredentialCreate:
        if self.type == "azure_openai" and self.api_version is None:
            raise ValueError("azure_openai credentials need api_version")
        return self


class CredentialUpdate(BaseModel):
    """Only the fields sent change. A new ``api_key`` is sealed under a new data key.

    Changing ``base_url`` or ``type`` needs ``api_key`` in the same request (400 ``api_key_required``):
    the stored key is never sent anywhere but where it was first meant to go.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"api_key": "sk-proj-new..."},
                {"base_url": "https://eu.api.openai.com/v1", "api_key": "sk-proj-eu..."},
            ]
        },
    )

    type: KeyedProviderType | None = None
    base_url: BaseUrl | None = None
    api_key: ApiKey | None = None
    api_version: ApiVersion | None = None
    region: RegionName | None = Field(
        default=None, description="Where the account serves from, for region pinning (e.g. `eu-west-1`)."
    )


class CredentialOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7f6c1e-2a9d-4d8e-9a43-6f1f3c2b5e10",
                    "name": "openai-prod",
                    "type": "openai",
                    "base_url": "https://api.openai.com/v1",
                    "api_version": None,
                    "secret_hint": "…x9Qz",
                    "master_key_id": "k1",
                    "created_at": "2026-01-05T10:00:00Z",
                    "updated_at": "2026-01-05T10:00:00Z",
                }
            ]
        }
    )

    id: str
    name: str
    type: str
    base_url: str
    api_version: str | None
    region: str | None = None
    secret_hint: str = Field(description="`…` and the key's last 4 characters; empty for short keys.")
    master_key_id: str = Field(description="The master key its data key is wrapped with (rotation).")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ProviderCredential) -> CredentialOut:
        return cls(
            id=row.id,
            name=row.name,
            type=row.type,
            base_url=row.base_url,
            api_version=row.api_version,
            region=row.region,
            secret_hint=row.secret_hint,
            master_key_id=row.master_key_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class RewrapOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rewrapped": 42, "active_master_key": "k2"}]})

    rewrapped: int = Field(
        description="Sealed secrets (provider credentials, webhook signing secrets) whose data key was re-wrapped."
    )
    active_master_key: str
