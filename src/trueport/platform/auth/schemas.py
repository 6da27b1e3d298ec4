"""What ``/auth`` reads and returns. Tokens appear only in the responses that issue them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from trueport.db.models import Tenant
from trueport.platform.auth.service import TokenPair
from trueport.platform.members.schemas import OneTimeToken
from trueport.platform.rbac import Role
from trueport.platform.users.schemas import Email, NewPassword, Password

_TENANT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
_REFRESH = "q3VJ0dT9xw8Lr2pZ7yHc5mB1nF4gE6aUoWsXiRtYvQe"


class LoginIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "alice@acme.example", "password": "correct horse battery staple"}]
        },
    )

    email: Email
    password: Password
    refresh_cookie: bool = Field(
        default=False,
        description="Set the refresh token as an httpOnly cookie (for the console) instead of returning it.",
    )


class TokensOut(BaseModel):
    """An access token (send it as `Authorization: Bearer ...`) and the refresh token that renews it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": _REFRESH,
                    "refresh_expires_in": 2592000,
                    "tenant_id": _TENANT_ID,
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token is valid.")
    refresh_token: str | None = Field(
        description="Single use: each refresh returns a new one. Null when it was set as a cookie instead."
    )
    refresh_expires_in: int = Field(description="Seconds the refresh token is valid if unused.")
    tenant_id: str | None = Field(
        description="The tenant the tokens are bound to; null before one is selected."
    )

    @classmethod
    def of(cls, pair: TokenPair, *, in_cookie: bool = False) -> TokensOut:
        return cls(
            access_token=pair.access_token,
            expires_in=pair.expires_in,
            refresh_token=None if in_cookie else pair.refresh_token,
            refresh_expires_in=pair.refresh_expires_in,
            tenant_id=pair.tenant_id,
        )


RefreshToken = Annotated[str, Field(min_length=16, max_length=256, examples=[_REFRESH])]


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: RefreshToken | None = Field(
        default=None,
        description="Omit it to use the refresh cookie that a sign-in with `refresh_cookie` set.",
    )


class LogoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"refresh_token": _REFRESH}]})

    refresh_token: RefreshToken | None = Field(
        default=None, description="Omit it to end the session of the refresh cookie (which is cleared)."
    )
    everywhere: bool = Field(
        default=False, description="End every session of yours and refuse every access token issued so far."
    )


class TenantChoice(BaseModel):
    """A tenant you may select, and your role there."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": _TENANT_ID, "slug": "acme", "name": "Acme Corp", "role": "owner"}]
        }
    )

    id: str
    slug: str
    name: str
    role: Role

    @classmethod
    def of(cls, tenant: Tenant, role: str) -> TenantChoice:
        return cls(id=tenant.id, slug=tenant.slug, name=tenant.name, role=Role(role))


class SelectTenantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"tenant": "acme"}]})

    tenant: str = Field(min_length=1, max_length=63, description="The tenant's slug or id.")
    refresh_cookie: bool = Field(
        default=False,
        description="Set the new refresh token as an httpOnly cookie instead of returning it; the session "
        "of the cookie presented, if any, ends.",
    )


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "alice@acme.example"}]}
    )

    email: Email


class ResetConfirmIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"token": _REFRESH, "new_password": "a longer passphrase 2026"}]},
    )

    token: OneTimeToken
    new_password: NewPassword
