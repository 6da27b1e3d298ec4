"""What ``/billing`` takes and returns. Money is a decimal string in US dollars."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from trueport.db.models import BillingPlan, PricingOverride, TenantPlan
from trueport.platform.usage.schemas import format_usd

Money = Annotated[Decimal, Field(ge=0, le=Decimal("1e9"), max_digits=20, decimal_places=6)]
PERIOD = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
_MODEL = r"^[^\x00-\x1f\x7f]+$"  # printable: a model name may hold '/', ':' and '.'


class PlanIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "team",
                    "monthly_fee_usd": "49.00",
                    "included_tokens": 5_000_000,
                    "overage_per_mtok_usd": "2.00",
                    "included_spend_usd": "0",
                    "overage_markup_pct": "0",
                    "limits": {"rpm": 600},
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100, pattern=_MODEL)
    monthly_fee_usd: Money = Decimal(0)
    included_tokens: int = Field(default=0, ge=0, le=10**15)
    overage_per_mtok_usd: Money = Field(
        default=Decimal(0), description="Price per million tokens above `included_tokens`."
    )
    included_spend_usd: Money = Field(
        default=Decimal(0), description="Provider cost included in the fee (catalog or negotiated prices)."
    )
    overage_markup_pct: Annotated[Decimal, Field(ge=0, le=1000, max_digits=9, decimal_places=4)] = Field(
        default=Decimal(0), description="Markup on provider cost above `included_spend_usd`."
    )
    limits: dict[str, int] = Field(default_factory=dict, max_length=20, description='e.g. `{"rpm": 600}`.')


class PlanPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"monthly_fee_usd": "59.00"}]})

    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=_MODEL)
    monthly_fee_usd: Money | None = None
    included_tokens: int | None = Field(default=None, ge=0, le=10**15)
    overage_per_mtok_usd: Money | None = None
    included_spend_usd: Money | None = None
    overage_markup_pct: Annotated[Decimal, Field(ge=0, le=1000, max_digits=9, decimal_places=4)] | None = None
    limits: dict[str, int] | None = Field(default=None, max_length=20)


class PlanOut(BaseModel):
    id: str
    name: str
    monthly_fee_usd: str
    included_tokens: int
    overage_per_mtok_usd: str
    included_spend_usd: str
    overage_markup_pct: str
    limits: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, plan: BillingPlan) -> PlanOut:
        return cls(
            id=plan.id,
            name=plan.name,
            monthly_fee_usd=format_usd(plan.monthly_fee_usd),
            included_tokens=plan.included_tokens,
            overage_per_mtok_usd=format_usd(plan.overage_per_mtok_usd),
            included_spend_usd=format_usd(plan.included_spend_usd),
            overage_markup_pct=format_usd(plan.overage_markup_pct),
            limits=dict(plan.limits or {}),
            created_at=plan.created_at,
            updated_at=plan.updated_at,
        )


class AssignPlan(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"plan_id": "0f6a3c52-8f0e-4d8e-9a57-3b3c1f0d2a11"}]}
    )

    plan_id: str = Field(max_length=36)


class TenantPlanOut(BaseModel):
    tenant_id: str
    since: datetime
    plan: PlanOut

    @classmethod
    def of(cls, assignment: TenantPlan, plan: BillingPlan) -> TenantPlanOut:
        return cls(tenant_id=assignment.tenant_id, since=assignment.since, plan=PlanOut.of(plan))


class OverrideIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "model": "openai/gpt-4o:2024-08-06",
                    "input_per_mtok": "2.00",
                    "output_per_mtok": "8.00",
                    "cached_input_per_mtok": "1.00",
                }
            ]
        },
    )

    model: str = Field(
        min_length=1,
        max_length=200,
        pattern=_MODEL,
        description="Upstream model name (or a prefix of it), as in the pricing catalog.",
    )
    input_per_mtok: Money
    output_per_mtok: Money
    cached_input_per_mtok: Money | None = Field(default=None, description="Default: `input_per_mtok`.")


class OverrideOut(BaseModel):
    id: str
    model: str
    input_per_mtok: str
    output_per_mtok: str
    cached_input_per_mtok: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: PricingOverride) -> OverrideOut:
        cached = row.cached_input_per_mtok
        return cls(
            id=row.id,
            model=row.model,
            input_per_mtok=format_usd(row.input_per_mtok),
            output_per_mtok=format_usd(row.output_per_mtok),
            cached_input_per_mtok=format_usd(cached) if cached is not None else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class LineItem(BaseModel):
    kind: str = Field(description="`monthly_fee`, `token_overage` or `spend_overage`.")
    description: str
    quantity: str = Field(description="Months, million tokens or US dollars, as a decimal string.")
    unit_price_usd: str
    amount_usd: str = Field(description="Unrounded; only `total_usd` is rounded.")


class UsageSummary(BaseModel):
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    total_tokens: int = Field(description="Prompt plus completion tokens.")
    provider_cost_usd: str = Field(description="At catalog prices or the tenant's negotiated ones.")


class InvoicePreview(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2025-05",
                    "period_start": "2025-05-01T00:00:00Z",
                    "period_end": "2025-06-01T00:00:00Z",
                    "plan": "team",
                    "usage": {
                        "requests": 1200,
                        "prompt_tokens": 6000000,
                        "completion_tokens": 500000,
                        "cached_tokens": 0,
                        "total_tokens": 6500000,
                        "provider_cost_usd": "12.3",
                    },
                    "line_items": [
                        {
                            "kind": "monthly_fee",
                            "description": "team: monthly fee",
                            "quantity": "1",
                            "unit_price_usd": "49",
                            "amount_usd": "49",
                        },
                        {
                            "kind": "token_overage",
                            "description": "1.5 million tokens above the 5,000,000 included",
                            "quantity": "1.5",
                            "unit_price_usd": "2",
                            "amount_usd": "3",
                        },
                    ],
                    "subtotal_usd": "52",
                    "total_usd": "52.00",
                    "currency": "USD",
                }
            ]
        }
    )

    period: str
    period_start: datetime
    period_end: datetime = Field(description="Exclusive.")
    plan: str
    usage: UsageSummary
    line_items: list[LineItem]
    subtotal_usd: str = Field(description="Sum of the unrounded line items.")
    total_usd: str = Field(description="The subtotal rounded half-up to cents.")
    currency: str = "USD"


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
