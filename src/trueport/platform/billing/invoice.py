"""Invoice previews and usage exports for one tenant and one calendar month (UTC), from the roll-ups.

Amounts are exact decimals throughout; only the invoice total is rounded, half-up to cents, once at
the end, so line items never accumulate rounding. The plan is the tenant's plan now (a change of plan
within the month is not prorated). Charges:

- ``monthly_fee``: the plan's fee;
- ``token_overage``: prompt plus completion tokens above ``included_tokens``, per million, when the
  plan prices an overage;
- ``spend_overage``: provider cost (catalog or negotiated prices) above ``included_spend_usd``, plus
  ``overage_markup_pct``, when the plan includes spend or a markup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import BillingPlan, UsageRollup
from trueport.jsonutil import dumps
from trueport.platform.billing.schemas import ExportFormat, InvoicePreview, LineItem, UsageSummary
from trueport.platform.usage.export import cell
from trueport.platform.usage.rollup_repository import RollupFilters, RollupRepo
from trueport.platform.usage.schemas import format_usd

_MILLION = Decimal(1_000_000)
_CENT = Decimal("0.01")
EXPORT_FIELDS = (
    "tenant_id", "day", "key_id", "alias", "provider", "requests", "errors",
    "prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Period:
    name: str  # YYYY-MM
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, name: str) -> Period:
        year, month = (int(part) for part in name.split("-"))
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return cls(name, start, end)


async def day_rollups(session: AsyncSession, tenant_id: str, period: Period) -> Sequence[UsageRollup]:
    return await RollupRepo(session, tenant_id).rows(RollupFilters("day", period.start, period.end))


def _amount(value: Decimal) -> str:
    return format_usd(value)


def preview(plan: BillingPlan, period: Period, rows: Sequence[UsageRollup]) -> InvoicePreview:
    prompt = sum(row.prompt_tokens for row in rows)
    completion = sum(row.completion_tokens for row in rows)
    cost = sum((Decimal(row.cost_usd) for row in rows), Decimal(0))
    tokens = prompt + completion
    fee = Decimal(plan.monthly_fee_usd)
    lines = [LineItem(kind="monthly_fee", description=f"{plan.name}: monthly fee", quantity="1",
                      unit_price_usd=_amount(fee), amount_usd=_amount(fee))]  # fmt: skip
    total = fee
    overage_price = Decimal(plan.overage_per_mtok_usd)
    if overage_price > 0:
        above = Decimal(max(0, tokens - plan.included_tokens)) / _MILLION
        amount = above * overage_price
        total += amount
        lines.append(
            LineItem(
                kind="token_overage",
                description=f"{format_usd(above)} million tokens above the {plan.included_tokens:,} included",
                quantity=format_usd(above),
                unit_price_usd=_amount(overage_price),
                amount_usd=_amount(amount),
            )
        )
    included_spend, markup = Decimal(plan.included_spend_usd), Decimal(plan.overage_markup_pct)
    if included_spend > 0 or markup > 0:
        above_spend = max(Decimal(0), cost - included_spend)
        factor = 1 + markup / 100
        amount = above_spend * factor
        total += amount
        lines.append(
            LineItem(
                kind="spend_overage",
                description=f"provider cost above the {format_usd(included_spend)} USD included, "
                f"plus {format_usd(markup)} %",
                quantity=format_usd(above_spend),
                unit_price_usd=_amount(factor),
                amount_usd=_amount(amount),
            )
        )
    return InvoicePreview(
        period=period.name,
        period_start=period.start,
        period_end=period.end,
        plan=plan.name,
        usage=UsageSummary(
            requests=sum(row.requests for row in rows),
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=sum(row.cached_tokens for row in rows),
            total_tokens=tokens,
            provider_cost_usd=format_usd(cost),
        ),
        line_items=lines,
        subtotal_usd=_amount(total),
        total_usd=str(total.quantize(_CENT, rounding=ROUND_HALF_UP)),
    )


def _values(row: UsageRollup) -> list[object]:
    return [
        row.tenant_id, row.bucket_start.date().isoformat(), row.key_id or None, row.alias or None,
        row.provider or None, row.requests, row.errors, row.prompt_tokens, row.completion_tokens,
        row.cached_tokens, Decimal(row.cost_usd),
    ]  # fmt: skip


def export_lines(rows: Sequence[UsageRollup], form: ExportFormat) -> AsyncIterator[bytes]:
    """One line per day, key, alias and provider: CSV with a header, or JSON lines.

    The rows are read into plain values now: the body streams after the request's session closed."""
    table = [_values(row) for row in rows]

    async def lines() -> AsyncIterator[bytes]:
        if form is ExportFormat.CSV:
            yield (",".join(EXPORT_FIELDS) + "\r\n").encode()
        for values in table:
            if form is ExportFormat.CSV:
                yield (",".join(_quoted(cell(value)) for value in values) + "\r\n").encode()
            else:
                record = dict(zip(EXPORT_FIELDS, values, strict=True))
                record["cost_usd"] = format_usd(values[-1])  # type: ignore[arg-type]
                yield dumps(record) + b"\n"

    return lines()


def _quoted(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
