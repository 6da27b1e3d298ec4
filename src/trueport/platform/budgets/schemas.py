"""What ``/budgets`` reads and returns. Amounts are decimal strings: USD to the micro-dollar, or tokens."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trueport.db.models import Budget
from trueport.limits.budget_periods import valid_timezone

_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

Amount = Annotated[Decimal, Field(gt=0, le=Decimal("100000000"), max_digits=20, decimal_places=6)]
Thresholds = Annotated[
    list[Annotated[int, Field(ge=1, le=100)]],
    Field(max_length=10, description="Percentages of the amount at which owners and admins are alerted."),
]
TimeZone = Annotated[
    str, Field(min_length=1, max_length=64, description="IANA time zone the calendar periods follow.")
]

_BUDGET_EXAMPLE: dict[str, Any] = {
    "id": "5b7f9a34-2c1d-4e8f-9a0b-1c2d3e4f5a6b",
    "name": "monthly spend",
    "key_id": None,
    "unit": "usd",
    "amount": "250.000000",
    "period": "monthly",
    "timezone": "Europe/Paris",
    "hard": True,
    "alert_thresholds": [50, 80, 100],
    "disabled": False,
    "created_at": "2025-05-01T09:30:00Z",
    "updated_at": "2025-05-01T09:30:00Z",
}


def shown(unit: str, value: Decimal, places: int = 6) -> str:
    """An amount as the API shows it: USD with ``places`` decimals (always, never ``0E-10``), tokens whole."""
    if unit == "usd":
        return format(value.quantize(Decimal(1).scaleb(-places)), "f")
    return format(value.to_integral_value(), "f")


def _check_timezone(value: str | None) -> str | None:
    if value is not None and not valid_timezone(value):
        raise ValueError("not a known IANA time zone")
    return value


class BudgetCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "monthly spend", "unit": "usd", "amount": "250", "period": "monthly"}]
        },
    )

    name: str = Field("", max_length=200, pattern=_PRINTABLE)
    key_id: str | None = Field(
        None, max_length=36, description="A key of this tenant; null: the whole tenant."
    )
    unit: Literal["usd", "tokens"]
    amount: Amount
    period: Literal["daily", "weekly", "monthly", "total"]
    timezone: TimeZone = "UTC"
    hard: bool = Field(True, description="Refuse requests (402) once exhausted; false: alert only.")
    alert_thresholds: Thresholds = Field(default_factory=lambda: [50, 80, 100])

    _timezone = field_validator("timezone")(_check_timezone)

    @model_validator(mode="after")
    def _whole_tokens(self) -> BudgetCreate:
        if self.unit == "tokens" and self.amount != self.amount.to_integral_value():
            raise ValueError("a token budget is a whole number of tokens")
        return self


class BudgetUpdate(BaseModel):
    """Only the fields sent change. The unit, period and key are fixed: create another budget instead."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount": "500", "hard": False}]}
    )

    name: str | None = Field(None, max_length=200, pattern=_PRINTABLE)
    amount: Amount | None = None
    timezone: TimeZone | None = None
    hard: bool | None = None
    alert_thresholds: Thresholds | None = None
    disabled: bool | None = Field(None, description="A disabled budget is neither enforced nor alerted.")

    _timezone = field_validator("timezone")(_check_timezone)


class BudgetOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_BUDGET_EXAMPLE]})

    id: str
    name: str
    key_id: str | None
    unit: str
    amount: str = Field(description="USD with 6 decimals, or whole tokens.")
    period: str
    timezone: str
    hard: bool
    alert_thresholds: list[int]
    disabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Budget) -> BudgetOut:
        return cls(
            id=row.id,
            name=row.name,
            key_id=row.key_id,
            unit=row.unit,
            amount=shown(row.unit, row.amount),
            period=row.period,
            timezone=row.timezone,
            hard=row.hard,
            alert_thresholds=list(row.alert_thresholds),
            disabled=row.disabled_at is not None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class BudgetStatusOut(BaseModel):
    """The current period as the gateways see it (the shared counters), with the alerts already sent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "budget_id": _BUDGET_EXAMPLE["id"],
                    "unit": "usd",
                    "period_start": "2025-04-30T22:00:00Z",
                    "period_end": "2025-05-31T22:00:00Z",
                    "amount": "250.000000",
                    "spent": "131.2500000000",
                    "reserved": "0.4200000000",
                    "remaining": "118.3300000000",
                    "alerts_sent": [50],
                    "exhausted": False,
                }
            ]
        }
    )

    budget_id: str
    unit: str
    period_start: datetime
    period_end: datetime | None = Field(description="Exclusive; null for a total budget.")
    amount: str
    spent: str = Field(description="Committed spend of the period (USD to 1e-10, as request costs are).")
    reserved: str = Field(description="Held by requests in flight (their worst case).")
    remaining: str = Field(description="What new requests may still reserve; never below 0.")
    alerts_sent: list[int]
    exhausted: bool
