"""What ``/admin/providers/health`` and ``/admin/usage`` return."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field


class BreakerOut(BaseModel):
    """One provider target's circuit breaker."""

    target: str = Field(examples=["openai/gpt-4o-mini"], description="`provider/model`.")
    state: Literal["closed", "open", "half_open"]
    calls: int = Field(description="Calls in the current window.")
    failure_rate: float
    slow_call_rate: float
    consecutive_failures: int
    openings: int = Field(description="Openings in a row (the next open interval grows from it).")
    opened_until: float | None = Field(description="Unix time it stops refusing calls, while open.")
    probes_in_flight: int


class ProvidersHealthOut(BaseModel):
    backend: str = Field(
        description="Where breaker state lives: `redis` (shared by every replica), `memory` (the "
        "answering process only), `redis (degraded: local state)` while Redis is away, or `none` (no "
        "gateway in this process)."
    )
    checked_at: datetime
    breakers: list[BreakerOut]


class TenantUsageOut(BaseModel):
    tenant_id: str
    slug: str
    name: str
    requests: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    violations: int


class InstallationUsageOut(BaseModel):
    """Usage summed per tenant over whole hours: `since` is rounded down to its hour."""

    since: datetime
    until: datetime
    tenants: list[TenantUsageOut]
    total_requests: int
    total_cost_usd: Decimal
