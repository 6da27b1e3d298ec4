"""Tables. Every tenant-owned table has ``tenant_id``; queries on them go through repositories."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class InstallationSetting(Base):
    """Installation-wide values kept in the database (e.g. the generated development secret)."""

    __tablename__ = "installation_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    rpm_limit: Mapped[int | None] = mapped_column(Integer, default=None)  # requests per minute, all keys
    tpm_limit: Mapped[int | None] = mapped_column(Integer, default=None)  # tokens per minute, all keys
    # Region pinning: calls are served only by providers in these regions; None: not pinned.
    allowed_regions: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ApiKey(Base):
    """A virtual key. Only an HMAC of the secret is stored; ``prefix`` is shown to people to tell keys apart."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    models: Mapped[list[str] | None] = mapped_column(JSON, default=None)  # None: every model
    rpm_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    tpm_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, index=True)
    # The user whose key it is (who created it; a rotation keeps it); None: made by the operator (CLI).
    created_by: Mapped[str | None] = mapped_column(String(36), default=None, index=True)


class RequestRecord(Base):
    """One data-plane request: who, what, where it went, how it ended, what it used and cost."""

    __tablename__ = "request_records"
    __table_args__ = (Index("ix_request_records_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the request id (x-request-id)
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)  # None: rejected before auth
    key_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    endpoint: Mapped[str] = mapped_column(String(64))
    alias: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(100))
    upstream_model: Mapped[str | None] = mapped_column(String(200))
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int] = mapped_column(Integer)
    error_class: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    served_from: Mapped[str | None] = mapped_column(String(16))  # "cache" | "idempotency"
    latency_ms: Mapped[float] = mapped_column(Numeric(12, 3, asdecimal=False))
    ttft_ms: Mapped[float | None] = mapped_column(Numeric(12, 3, asdecimal=False))
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cached_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(20, 10), default=Decimal(0))
    pricing_version: Mapped[str | None] = mapped_column(String(32))
    # The upstream's usage numbers were unusable (negative, absurd, not integers): the tokens are the
    # gateway's own estimate (migration 0007).
    upstream_usage_invalid: Mapped[bool] = mapped_column(Boolean, default=False)


class GuardViolation(Base):
    """One guard finding on one request: what, where, which action, under which policy; never the text."""

    __tablename__ = "guard_violations"
    __table_args__ = (Index("ix_guard_violations_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    key_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    direction: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(String(200))
    detector: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8))
    shadow: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float] = mapped_column(Numeric(6, 4, asdecimal=False))
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    policy_version: Mapped[int] = mapped_column(Integer)


# --- control plane -----------------------------------------------------------------------------


class User(Base):
    """A person who signs in to the control plane. Not tenant-owned: memberships tie users to tenants."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Raised on password change or "log out everywhere": tokens issued before it are refused.
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Membership(Base):
    """A user's role in one tenant: owner, admin, member or auditor."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ux_memberships_tenant_user", "tenant_id", "user_id", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Invitation(Base):
    """An invitation to join a tenant with a role; accepted once, by token (only its hash is kept)."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str | None] = mapped_column(String(36))  # user id; None: a platform admin token
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RefreshToken(Base):
    """One refresh token (hash only). Each use replaces it; reuse of a replaced one revokes its family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))  # the tenant the session is bound to
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PasswordReset(Base):
    """A password-reset token sent by e-mail (hash only); single use, short-lived."""

    __tablename__ = "password_resets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ProviderCredential(Base):
    """A tenant's own provider account (bring your own key). The secret is envelope-encrypted:
    ``ciphertext`` under a per-record data key, which is stored wrapped by master key ``master_key_id``."""

    __tablename__ = "provider_credentials"
    __table_args__ = (Index("ux_provider_credentials_tenant_name", "tenant_id", "name", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(63))  # used as the provider name in the tenant's routes
    type: Mapped[str] = mapped_column(String(32))  # openai | azure_openai | anthropic | gemini
    base_url: Mapped[str] = mapped_column(String(2048))
    api_version: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(64), default=None)  # for region pinning
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(64))
    secret_hint: Mapped[str] = mapped_column(String(16), default="")  # e.g. "…x9Qz": last 4 characters
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TenantRoute(Base):
    """A tenant's model alias, on top of (and taking precedence over) the config file's global ones.

    ``targets``: ``[{"provider": name, "model": name}]`` where the provider is one of the tenant's
    credentials or a global provider; ``fallback`` as in the config file's ``models:``.
    """

    __tablename__ = "tenant_routes"
    __table_args__ = (Index("ux_tenant_routes_tenant_alias", "tenant_id", "alias", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    targets: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    fallback: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    cache_ttl_s: Mapped[float | None] = mapped_column(Numeric(12, 3, asdecimal=False), default=None)
    regions: Mapped[list[str] | None] = mapped_column(JSON, default=None)  # region pinning; None: not pinned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TenantSettings(Base):
    """A tenant's settings and feature flags (one row per tenant, created on first write)."""

    __tablename__ = "tenant_settings"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    feature_flags: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TenantFeatureFlag(Base):
    """A tenant's rule for one known feature flag (``trueport.flags``): overrides the installation's."""

    __tablename__ = "tenant_feature_flags"
    __table_args__ = (Index("ux_tenant_feature_flags_tenant_name", "tenant_id", "name", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    rule: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TenantPolicy(Base):
    """One version of a tenant's guard policy (``trueport.guard.policy`` format); the highest is active."""

    __tablename__ = "tenant_policies"
    __table_args__ = (Index("ux_tenant_policies_tenant_version", "tenant_id", "version", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    policy: Mapped[dict[str, object]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(36))  # user id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- guard review, budgets, webhooks, usage roll-ups, billing ---------------------------------------


class ReviewItem(Base):
    """A finding a person should look at (human in the loop): raised by async detectors or by policy."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_tenant_status_created", "tenant_id", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    key_id: Mapped[str | None] = mapped_column(String(36))
    direction: Mapped[str] = mapped_column(String(8))
    detector: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Numeric(6, 4, asdecimal=False))
    location: Mapped[str] = mapped_column(String(200), default="")
    policy_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | confirmed | dismissed
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(36))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assignee_id: Mapped[str | None] = mapped_column(String(36), default=None)  # a member of the tenant
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Budget(Base):
    """A spending limit for a tenant (``key_id`` None) or one key, in USD or tokens, per period."""

    __tablename__ = "budgets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str | None] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(8))  # usd | tokens
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    period: Mapped[str] = mapped_column(String(8))  # daily | weekly | monthly | total
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    hard: Mapped[bool] = mapped_column(Boolean, default=True)  # block when exhausted; soft: alert only
    alert_thresholds: Mapped[list[int]] = mapped_column(JSON, default=lambda: [50, 80, 100])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class BudgetPeriod(Base):
    """One period of a budget: its committed spend (the durable copy) and the alerts already sent."""

    __tablename__ = "budget_periods"
    __table_args__ = (Index("ux_budget_periods_budget_start", "budget_id", "period_start", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    budget_id: Mapped[str] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: the "total" period
    spent: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=Decimal(0))
    alerts_sent: Mapped[list[int]] = mapped_column(JSON, default=list)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookSubscription(Base):
    """Where a tenant wants events delivered; the signing secret is envelope-encrypted."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    topics: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(200), default="")
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """One event to one subscription: retried with backoff; ``dead`` after the last failed attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(36))
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the exact bytes that are signed and sent
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class UsageRollup(Base):
    """Request records summed per hour or day and per tenant, key, alias and provider ("" for none).

    Kept current by the record writer in the same transaction as the records; the latency histogram
    (``latency_buckets``: counts per upper bound in ms) gives percentiles without the raw rows."""

    __tablename__ = "usage_rollups"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    granularity: Mapped[str] = mapped_column(String(4), primary_key=True)  # hour | day
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alias: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(100), primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cached_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(20, 10), default=Decimal(0))
    latency_ms_sum: Mapped[float] = mapped_column(Numeric(20, 3, asdecimal=False), default=0.0)
    latency_buckets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    violations: Mapped[int] = mapped_column(BigInteger, default=0)


class PricingOverride(Base):
    """A tenant's negotiated price for a model, in USD per million tokens, over the catalog's."""

    __tablename__ = "pricing_overrides"
    __table_args__ = (Index("ux_pricing_overrides_tenant_model", "tenant_id", "model", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(200))  # the upstream model name, as in the catalog
    input_per_mtok: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    output_per_mtok: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    cached_input_per_mtok: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BillingPlan(Base):
    """A plan tenants are billed on (installation-wide, managed by platform admins)."""

    __tablename__ = "billing_plans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    monthly_fee_usd: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=Decimal(0))
    included_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    included_spend_usd: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=Decimal(0))
    overage_per_mtok_usd: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=Decimal(0))
    overage_markup_pct: Mapped[Decimal] = mapped_column(Numeric(9, 4), default=Decimal(0))
    limits: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)  # e.g. {"rpm": 600}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TenantPlan(Base):
    """Which plan a tenant is on, since when."""

    __tablename__ = "tenant_plans"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("billing_plans.id", ondelete="RESTRICT"))
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxMail(Base):
    """A mail kept instead of sent: in development without an SMTP server (``mail.host`` unset), so
    invitations and password resets work out of the box. Installation-level, read by platform admins
    (``GET /api/v1/admin/outbox``); the newest ``trueport.platform.mail.outbox.KEEP`` are kept. In the
    database, so every replica's mail is in the one outbox."""

    __tablename__ = "outbox_mails"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class DeadLetter(Base):
    """An item a writer could not store (a request record, an audit event), kept with the error.

    Installation-level (operators read it: ``GET /api/v1/admin/dead-letters``, ``trueport
    dead-letters``), not tenant-owned: ``tenant_id`` says whose item it was. ``payload`` is the item
    as JSON bytes, exactly as the writer had it (bytes: a NUL or any other character a text column
    refuses must not be able to poison the dead-letter table itself). See ARCHITECTURE.md.
    """

    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_kind_created", "kind", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))  # request_record | audit_event
    item_id: Mapped[str] = mapped_column(String(64))  # the record's or event's id (sanitised)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    error: Mapped[str] = mapped_column(Text)  # the database's message, without statement or parameters
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EvalSuite(Base):
    """A tenant's eval suite: cases with the verdicts its guard policy should reach (``kind: guard``), or
    prompts sent through the gateway to one of its routes with checks on the answers (``kind: route``)."""

    __tablename__ = "eval_suites"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(500), default="")
    cases: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    schedule: Mapped[str | None] = mapped_column(String(100))  # five-field cron (UTC); None: on demand
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)  # None: unscheduled
    # Route suites (migration 0015): the alias called, each call's max_tokens, and the tenant's virtual
    # key the calls are made with (its secret is never stored: each run sets a new one).
    route: Mapped[str | None] = mapped_column(String(200), default=None)
    max_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class EvalRun(Base):
    """One run of a suite (a tenant's, or a built-in named ``builtin:...``): totals and per-case results."""

    __tablename__ = "eval_runs"
    __table_args__ = (Index("ix_eval_runs_tenant_suite_created", "tenant_id", "suite_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    suite_id: Mapped[str] = mapped_column(String(64))  # no foreign key: built-in suites have no row
    suite_name: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(16))  # "api" or "schedule"
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    failed: Mapped[bool] = mapped_column(Boolean)
    pass_rate: Mapped[float] = mapped_column(Numeric(6, 4, asdecimal=False))
    latency_p50_ms: Mapped[float] = mapped_column(Numeric(12, 3, asdecimal=False))
    latency_p95_ms: Mapped[float] = mapped_column(Numeric(12, 3, asdecimal=False))
    policy_version: Mapped[int] = mapped_column(Integer)
    results: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    route: Mapped[str | None] = mapped_column(String(200), default=None)  # route suites (0015)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(20, 10), default=Decimal(0))  # its calls, as billed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


TENANT_OWNED: tuple[type[Base], ...] = (
    ApiKey,
    RequestRecord,
    GuardViolation,
    TenantPolicy,
    ReviewItem,
    Budget,
    BudgetPeriod,
    WebhookSubscription,
    WebhookDelivery,
    UsageRollup,
    PricingOverride,
    TenantPlan,
    Membership,
    Invitation,
    ProviderCredential,
    TenantRoute,
    TenantSettings,
    TenantFeatureFlag,
    EvalSuite,
    EvalRun,
)
"""Tables whose rows belong to one tenant: the control plane reaches them only through
``trueport.platform.scoping`` (a test enforces it)."""
