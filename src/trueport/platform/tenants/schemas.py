"""What ``/tenants`` (platform admins) reads and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from trueport.db.models import Invitation, Tenant
from trueport.platform.users.schemas import Email

_TENANT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

Slug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=63,
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="A DNS label (it becomes the subdomain `<slug>.<base domain>`); cannot be changed.",
        examples=["acme"],
    ),
]
TenantName = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", examples=["Acme Corp"])
]
Limit = Annotated[int, Field(gt=0, le=2**31 - 1)]

_TENANT_EXAMPLE: dict[str, Any] = {
    "id": _TENANT_ID,
    "slug": "acme",
    "name": "Acme Corp",
    "rpm_limit": 600,
    "tpm_limit": 200000,
    "disabled": False,
    "disabled_at": None,
    "created_at": "2025-05-01T09:30:00Z",
    "updated_at": "2025-05-01T09:30:00Z",
}


class TenantIn(BaseModel):
    """A new tenant; with `owner_email`, its first owner is invited by e-mail."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"slug": "acme", "name": "Acme Corp", "rpm_limit": 600, "owner_email": "alice@acme.example"}
            ]
        },
    )

    slug: Slug
    name: TenantName
    rpm_limit: Limit | None = Field(default=None, description="Requests per minute, all keys together.")
    tpm_limit: Limit | None = Field(default=None, description="Tokens per minute, all keys together.")
    owner_email: Email | None = None


class TenantPatch(BaseModel):
    """Fields to change; absent fields are kept. A null limit removes it; `disabled` stops the tenant's
    keys and sign-ins to it (its data is kept)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"rpm_limit": 1200}, {"disabled": True}]}
    )

    name: TenantName | None = None
    rpm_limit: Limit | None = None
    tpm_limit: Limit | None = None
    disabled: bool | None = None


class TenantOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TENANT_EXAMPLE]})

    id: str
    slug: str
    name: str
    rpm_limit: int | None
    tpm_limit: int | None
    disabled: bool
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, tenant: Tenant) -> TenantOut:
        return cls(
            id=tenant.id,
            slug=tenant.slug,
            name=tenant.name,
            rpm_limit=tenant.rpm_limit,
            tpm_limit=tenant.tpm_limit,
            disabled=tenant.disabled_at is not None,
            disabled_at=tenant.disabled_at,
            created_at=tenant.created_at,
            updated_at=tenant.updated_at,
        )


class OwnerInvitation(BaseModel):
    id: str
    email: str
    expires_at: datetime
    email_sent: bool

    @classmethod
    def of(cls, invitation: Invitation, sent: bool) -> OwnerInvitation:
        return cls(
            id=invitation.id, email=invitation.email, expires_at=invitation.expires_at, email_sent=sent
        )


class TenantCreated(TenantOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_TENANT_EXAMPLE,
                    "owner_invitation": {
                        "id": "5f0c2b8e-1d4a-4e3b-9c7f-0a1b2c3d4e5f",
                        "email": "alice@acme.example",
                        "expires_at": "2025-05-08T09:30:00Z",
                        "email_sent": True,
                    },
                }
            ]
        }
    )

    owner_invitation: OwnerInvitation | None = Field(
        description="The invitation of the first owner, when `owner_email` was given."
    )
