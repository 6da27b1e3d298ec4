"""Settings of the control plane (``platform:`` and ``mail:`` in the config file).

Secrets (``jwt_secret``, ``master_keys``, the SMTP password) are ``SecretStr``: they are never
printed, logged or returned. Without a ``jwt_secret`` or ``master_keys``, a development installation
generates them once and keeps them in the database; production refuses to start.
"""

from __future__ import annotations

import base64
import binascii
import re

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_MIN_SECRET_BYTES = 32
_MIN_DISTINCT_BYTES = 12  # "aaaa...", "1234...": long enough, but not random


def check_signing_secret(value: str) -> None:
    """Refuse a JWT signing secret that is short or visibly not random (raises ValueError)."""
    data = value.encode()
    if len(data) < _MIN_SECRET_BYTES:
        raise ValueError(f"platform.jwt_secret must be at least {_MIN_SECRET_BYTES} bytes")
    if len(set(data)) < _MIN_DISTINCT_BYTES or "changeme" in value.lower():
        raise ValueError("platform.jwt_secret does not look random: use e.g. `openssl rand -base64 48`")


def decode_master_key(value: str) -> bytes:
    """A master key is 32 random bytes, written as base64 (``openssl rand -base64 32``)."""
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a master key must be base64") from exc
    if len(key) != 32:
        raise ValueError("a master key must be 32 bytes (base64 of `openssl rand 32`)")
    return key


class MailConfig(BaseModel):
    """Outgoing mail over SMTP (``mail:``). Without ``host``, mail is not sent and a warning is logged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str | None = None
    port: int = Field(default=587, gt=0, lt=65536)
    security: str = Field(
        default="starttls", pattern="^(none|starttls|tls)$", description="none, starttls or tls (implicit)."
    )
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "TruePort <no-reply@localhost>"
    timeout_s: float = Field(default=10.0, gt=0)
    ca_file: str | None = Field(
        default=None,
        description="PEM bundle to trust for the server's TLS certificate; the system's otherwise.",
    )


class PlatformConfig(BaseModel):
    """Users, tokens, tenant resolution, envelope encryption and web security of ``/api/v1``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public_url: str = Field(
        default="http://localhost:8080", description="Where people reach the API; used in e-mailed links."
    )
    base_domain: str | None = Field(
        default=None, description="Tenants are resolved from `<slug>.<base_domain>` when set."
    )
    jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 signing secret, >= 32 random bytes."
    )
    jwt_issuer: str = "trueport"
    jwt_audience: str = "trueport-api"
    access_token_ttl_s: int = Field(default=900, gt=0, le=86_400)
    refresh_token_ttl_s: int = Field(default=30 * 86_400, gt=0)
    invitation_ttl_s: int = Field(default=7 * 86_400, gt=0)
    review_sla_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 365,
        description="A review item is due this long after it was raised (its `due_at`); open past it: overdue.",
    )
    password_reset_ttl_s: int = Field(default=3_600, gt=0)
    password_min_length: int = Field(default=12, ge=8)
    password_hash_concurrency: int = Field(
        default=2, gt=0, description="argon2id hashes computed at once; more wait (bounds memory)."
    )
    login_failures_per_account_ip: int = Field(
        default=5,
        gt=0,
        description="Failures on one account from one address that lock that pair (per 15 minutes).",
    )
    login_failures_per_account: int = Field(
        default=10,
        gt=0,
        description="Failures on one account from all addresses (per 15 minutes) after which addresses "
        "it never signed in from are slowed down (one attempt every 1, 2, 4, ... seconds).",
    )
    login_slowdown_max_s: int = Field(default=300, gt=0, description="The longest wait of that slowdown.")
    login_known_address_ttl_s: int = Field(
        default=90 * 86_400,
        gt=0,
        description="How long an address stays known to an account after a successful sign-in from it "
        "(known addresses are not slowed down).",
    )
    login_attempts_per_ip: int = Field(default=30, gt=0, description="Per 15 minutes.")
    key_rotation_overlap_s: int = Field(
        default=86_400, ge=0, description="Default life of the old key after a rotation."
    )
    cors_allow_origin_regex: str | None = Field(
        default=None, description="Origins allowed to call the API from a browser; none when unset."
    )
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    master_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description="Envelope-encryption master keys by id (base64 of 32 bytes)."
    )
    active_master_key: str | None = Field(default=None, description="The id new data keys are wrapped with.")
    allow_private_upstreams: bool | None = Field(
        default=None,
        description="May tenant credentials point at loopback/private addresses? Default: only in development.",
    )
    tenant_shared_models: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Installation providers tenants may name in their own routes, and with which models "
        "(provider -> exact model names). Unlisted: a tenant route can use only the tenant's own credentials.",
        examples=[{"oa": ["gpt-4o-mini", "gpt-4o"]}],
    )
    live_config_poll_s: float = Field(
        default=2.0, gt=0, description="How often gateways check the configuration generation."
    )

    @field_validator("cors_allow_origin_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"cors_allow_origin_regex is not a valid regular expression: {exc}") from exc
        return value

    @field_validator("base_domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        return value.lower().strip(".") if value else None

    @model_validator(mode="after")
    def _check(self) -> PlatformConfig:
        if self.jwt_secret is not None:
            check_signing_secret(self.jwt_secret.get_secret_value())
        for key in self.master_keys.values():
            decode_master_key(key.get_secret_value())
        if self.master_keys and self.active_master_key not in self.master_keys:
            raise ValueError("platform.active_master_key must name one of platform.master_keys")
        if self.active_master_key is not None and not self.master_keys:
            raise ValueError("platform.active_master_key is set but platform.master_keys is empty")
        return self
