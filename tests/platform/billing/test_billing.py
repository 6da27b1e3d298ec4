"""Billing: plans and pricing overrides by platform admins; a tenant's plan, invoice preview and export.

Usage goes through the real ``RecordWriter`` (priced with the tenant's override, rolled up in the same
transaction), so the invoice is checked against numbers computed here by hand.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from tests.platform.harness import ControlPlaneHarness

from trueport.jsonutil import loads
from trueport.usage.pricing import PricingCatalog, TenantPrices
from trueport.usage.records import RequestRecordData
from trueport.usage.writer import RecordWriter

ADMIN = "/api/v1/billing/admin"


def record(tenant_id: str, model: str, prompt: int, completion: int, day: int) -> RequestRecordData:
    return RequestRecordData(
        id=str(uuid.uuid4()),
        created_at=datetime(2025, 5, day, 12, tzinfo=UTC),
        endpoint="/v1/chat/completions",
        status_code=200,
        tenant_id=tenant_id,
        key_id=str(uuid.UUID(int=7)),
        alias="chat",
        provider="openai",
        upstream_model=model,
        latency_ms=120.0,
        prompt_tokens=prompt,
        completion_tokens=completion,
    )


async def test_plans_overrides_invoice_and_export(platform: ControlPlaneHarness) -> None:
    acme = await platform.tenant("acme")
    owner, admin = (
        await platform.user("owner@acme.test"),
        await platform.user("root@op.test", platform_admin=True),
    )
    await platform.member(acme, owner, "owner")
    tenant_h, admin_h = platform.auth(owner, acme), platform.auth(admin)
    client = platform.client

    plan = {"name": "team", "monthly_fee_usd": "49.99", "included_tokens": 1_000_000,
            "overage_per_mtok_usd": "2.5", "included_spend_usd": "1", "overage_markup_pct": "10"}  # fmt: skip
    assert (await client.post(f"{ADMIN}/plans", json=plan, headers=tenant_h)).status_code == 403
    created = await client.post(f"{ADMIN}/plans", json=plan, headers=admin_h)
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    assert (await client.post(f"{ADMIN}/plans", json=plan, headers=admin_h)).status_code == 409
    assert (await client.get("/api/v1/billing/plan", headers=tenant_h)).json()["error"]["code"] == "no_plan"
    put = await client.put(f"{ADMIN}/tenants/{acme.id}/plan", json={"plan_id": plan_id}, headers=admin_h)
    assert put.status_code == 200, put.text
    mine = (await client.get("/api/v1/billing/plan", headers=tenant_h)).json()
    assert mine["plan"]["monthly_fee_usd"] == "49.99"
    assert (await client.delete(f"{ADMIN}/plans/{plan_id}", headers=admin_h)).status_code == 409
    assert (await client.get(f"{ADMIN}/plans/not-a-uuid", headers=admin_h)).status_code == 404
    patched = await client.patch(
        f"{ADMIN}/plans/{plan_id}", json={"included_tokens": 1_000_000}, headers=admin_h
    )
    assert patched.status_code == 200 and patched.json()["monthly_fee_usd"] == "49.99"
    listed_plans = (await client.get(f"{ADMIN}/plans", headers=admin_h)).json()
    assert [p["id"] for p in listed_plans["data"]] == [plan_id] and listed_plans["next_cursor"] is None
    assert (await client.get(f"{ADMIN}/plans", headers=tenant_h)).status_code == 403

    override = {"model": "openai/gpt-4o:custom", "input_per_mtok": "1", "output_per_mtok": "4"}
    assert (
        await client.post(f"{ADMIN}/tenants/{acme.id}/pricing", json=override, headers=tenant_h)
    ).status_code == 403
    made = await client.post(f"{ADMIN}/tenants/{acme.id}/pricing", json=override, headers=admin_h)
    assert made.status_code == 201, made.text
    again = await client.post(
        f"{ADMIN}/tenants/{acme.id}/pricing", json={**override, "output_per_mtok": "2"}, headers=admin_h
    )
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    listed = (await client.get("/api/v1/billing/pricing", headers=tenant_h)).json()
    assert [(o["model"], o["output_per_mtok"]) for o in listed] == [("openai/gpt-4o:custom", "2")]

    prices = TenantPrices(PricingCatalog.load(), platform.sessions)
    await prices.reload()
    writer = RecordWriter(platform.sessions, prices, batch_size=50, flush_interval_s=1, max_pending=100)
    # 1.2M + 0.3M tokens at the override (1 in, 2 out per M): 1.2 + 0.6 = 1.8 USD
    writer.submit(record(acme.id, "openai/gpt-4o:custom", 1_200_000, 300_000, day=3))
    # catalog: gpt-4o-mini 0.15 in, 0.60 out: 100k in + 50k out = 0.015 + 0.03 = 0.045 USD
    writer.submit(record(acme.id, "gpt-4o-mini", 100_000, 50_000, day=20))
    june = record(acme.id, "gpt-4o-mini", 10**6, 0, day=1)
    june.created_at = datetime(2025, 6, 1, tzinfo=UTC)  # next month: not on May's invoice
    writer.submit(june)
    await writer.flush()

    preview = await client.get(
        "/api/v1/billing/invoice-preview", params={"period": "2025-05"}, headers=tenant_h
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["usage"]["total_tokens"] == 1_650_000
    assert Decimal(body["usage"]["provider_cost_usd"]) == Decimal("1.845")
    amounts = {line["kind"]: Decimal(line["amount_usd"]) for line in body["line_items"]}
    # fee; 0.65M tokens over at 2.5; (1.845 - 1) * 1.10 = 0.9295
    assert amounts == {"monthly_fee": Decimal("49.99"), "token_overage": Decimal("1.625"),
                       "spend_overage": Decimal("0.9295")}  # fmt: skip
    assert body["subtotal_usd"] == "52.5445" and body["total_usd"] == "52.54"
    bad = await client.get("/api/v1/billing/invoice-preview", params={"period": "2025-13"}, headers=tenant_h)
    assert bad.status_code == 422

    csv = await client.get("/api/v1/billing/usage-export", params={"period": "2025-05"}, headers=tenant_h)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().split("\r\n")
    assert lines[0].startswith("tenant_id,day,key_id") and len(lines) == 3
    jsonl = await client.get(
        "/api/v1/billing/usage-export", params={"period": "2025-05", "format": "jsonl"}, headers=tenant_h
    )
    rows = [loads(line) for line in jsonl.text.splitlines()]
    assert sorted(r["day"] for r in rows) == ["2025-05-03", "2025-05-20"]
    assert sum(Decimal(r["cost_usd"]) for r in rows) == Decimal("1.845")

    override_id = made.json()["id"]
    other = await platform.tenant("other")
    assert (
        await client.delete(f"{ADMIN}/tenants/{other.id}/pricing/{override_id}", headers=admin_h)
    ).status_code == 404
    assert (
        await client.delete(f"{ADMIN}/tenants/{acme.id}/pricing/{override_id}", headers=admin_h)
    ).status_code == 204
    assert (await client.get("/api/v1/billing/pricing", headers=tenant_h)).json() == []
