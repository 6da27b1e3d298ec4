"""``/admin/providers/health`` (the serving gateway's breakers) and ``/admin/usage`` (per-tenant sums
of the hourly roll-ups), for platform admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import Tenant, UsageRollup

HEALTH = "/api/v1/admin/providers/health"
USAGE = "/api/v1/admin/usage"


@pytest.fixture
async def admin(platform: ControlPlaneHarness) -> dict[str, str]:
    return platform.auth(await platform.user("ops@installation.test", platform_admin=True))


async def test_health_shows_the_gateways_breakers_as_they_change(
    platform: ControlPlaneHarness, admin: dict[str, str]
) -> None:
    resilience = platform.app.gateway.resilience if platform.app.gateway is not None else None
    assert resilience is not None and resilience.breakers is not None
    breakers = resilience.breakers
    before = await platform.client.get(HEALTH, headers=admin)
    assert before.status_code == 200, before.text
    assert before.json()["backend"] == breakers.backend
    assert all(b["state"] == "closed" for b in before.json()["breakers"])
    for _ in range(breakers.policy.consecutive_failures or 1):
        permit = await breakers.allow("oa/failing-model")
        assert permit is not None
        await breakers.record(permit, ok=False, duration_s=0.01)
    after = (await platform.client.get(HEALTH, headers=admin)).json()
    [failing] = [b for b in after["breakers"] if b["target"] == "oa/failing-model"]
    assert failing["state"] == "open" and failing["openings"] >= 1 and failing["opened_until"] is not None


async def _rollup(
    platform: ControlPlaneHarness, tenant: Tenant, start: datetime, requests: int, cost: str
) -> None:
    async with platform.sessions() as session:
        session.add(
            UsageRollup(
                tenant_id=tenant.id,
                granularity="hour",
                bucket_start=start,
                key_id="k",
                alias="m",
                provider="oa",
                requests=requests,
                errors=1,
                prompt_tokens=10 * requests,
                completion_tokens=5 * requests,
                cached_tokens=0,
                cost_usd=Decimal(cost),
                latency_ms_sum=0.0,
                latency_buckets={},
                violations=2,
            )
        )
        # The day roll-up of the same traffic must not be counted a second time.
        session.add(
            UsageRollup(
                tenant_id=tenant.id,
                granularity="day",
                bucket_start=start.replace(hour=0),
                key_id=f"k{start.hour}",
                alias="m",
                provider="oa",
                requests=requests,
                cost_usd=Decimal(cost),
                latency_buckets={},
            )
        )
        await session.commit()


async def test_usage_is_summed_per_tenant_in_the_window(
    platform: ControlPlaneHarness, admin: dict[str, str]
) -> None:
    acme, globex = await platform.tenant("acme"), await platform.tenant("globex")
    await platform.tenant("idle")
    hour = datetime(2026, 3, 10, 12, tzinfo=UTC)
    await _rollup(platform, acme, hour, 3, "0.25")
    await _rollup(platform, acme, hour + timedelta(hours=1), 2, "0.50")
    await _rollup(platform, globex, hour + timedelta(hours=1), 7, "2.00")
    await _rollup(platform, globex, hour + timedelta(hours=5), 100, "9.00")  # after the window
    answer = await platform.client.get(
        USAGE,
        headers=admin,
        params={
            "since": (hour + timedelta(minutes=30)).isoformat(),
            "until": (hour + timedelta(hours=3)).isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["since"].startswith("2026-03-10T12:00:00")  # rounded down to its hour
    rows = {row["slug"]: row for row in body["tenants"]}
    assert list(rows) == ["globex", "acme"]  # the costliest first; tenants without usage are left out
    assert (
        rows["acme"]["requests"] == 5 and rows["acme"]["prompt_tokens"] == 50 and rows["acme"]["errors"] == 2
    )
    assert Decimal(rows["acme"]["cost_usd"]) == Decimal("0.75") and rows["acme"]["violations"] == 4
    assert rows["globex"]["requests"] == 7 and Decimal(rows["globex"]["cost_usd"]) == Decimal("2.00")
    assert body["total_requests"] == 12 and Decimal(body["total_cost_usd"]) == Decimal("2.75")


async def test_usage_refuses_a_bad_range(platform: ControlPlaneHarness, admin: dict[str, str]) -> None:
    now = datetime.now(UTC)
    for since, until in ((now, now - timedelta(hours=1)), (now - timedelta(days=400), now)):
        refused = await platform.client.get(
            USAGE, headers=admin, params={"since": since.isoformat(), "until": until.isoformat()}
        )
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_range"
    early = await platform.client.get(USAGE, headers=admin, params={"until": "0001-01-01T00:00:00"})
    assert early.status_code == 400 and early.json()["error"]["code"] == "invalid_range"
    # A time without a zone is UTC.
    naive = await platform.client.get(
        USAGE, headers=admin, params={"since": "2026-03-10T12:30:00", "until": "2026-03-10T15:00:00"}
    )
    assert naive.json()["since"].startswith("2026-03-10T12:00:00") and naive.json()["until"].startswith(
        "2026-03-10T15"
    )
    default = (await platform.client.get(USAGE, headers=admin)).json()
    assert default["tenants"] == [] and default["total_requests"] == 0
