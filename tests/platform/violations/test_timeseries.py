"""``/api/v1/violations/timeseries``: a tenant's violations per UTC hour or day, per action and shadow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.platform.harness import ControlPlaneHarness
from tests.platform.policies.conftest import Team, team
from tests.platform.violations.conftest import BASE, seed

from trueport.platform.rbac import Role

HOUR = BASE.replace(minute=0)  # 2025-05-01 09:00 UTC
DAY = "since=2025-05-01T00:00:00Z&until=2025-05-02T00:00:00Z"


async def series(platform: ControlPlaneHarness, team: Team, query: str, role: Role = Role.AUDITOR) -> Any:
    response = await platform.client.get(f"/api/v1/violations/timeseries?{query}", headers=team.headers[role])
    assert response.status_code == 200, response.text
    return response.json()


def point(start: str, block: int = 0, redact: int = 0, flag: int = 0, shadow: int = 0) -> dict[str, Any]:
    total = block + redact + flag + shadow
    return {"bucket_start": start, "total": total, "block": block, "redact": redact, "flag": flag,
            "shadow": shadow}  # fmt: skip


async def seed_hours(platform: ControlPlaneHarness, tenant_id: str) -> None:
    """Around the 10:00 boundary: 09:00 to 09:59:59.999999 is one hour, 10:00:00 the next."""
    await seed(
        platform,
        tenant_id,
        {"created_at": HOUR},  # first instant of 09:00
        {"created_at": HOUR + timedelta(minutes=30), "action": "block"},
        {"created_at": HOUR + timedelta(hours=1) - timedelta(microseconds=1), "action": "flag"},
        {"created_at": HOUR + timedelta(hours=1)},  # first instant of 10:00
        {"created_at": HOUR + timedelta(hours=1, minutes=5), "action": "block", "shadow": True},
        {"created_at": HOUR + timedelta(hours=3), "action": "redact", "shadow": True},
        {"created_at": HOUR + timedelta(hours=3), "action": "block"},
    )


async def test_hourly_buckets_split_at_the_hour_and_count_actions_and_shadow_apart(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    globex = await team(platform, "globex")
    await seed_hours(platform, acme.tenant.id)
    await seed(platform, globex.tenant.id, {"created_at": HOUR}, {"created_at": HOUR, "action": "block"})
    body = await series(platform, acme, f"{DAY}&granularity=hour")
    assert (body["granularity"], body["since"], body["until"]) == (
        "hour",
        "2025-05-01T00:00:00Z",
        "2025-05-02T00:00:00Z",
    )
    assert body["points"] == [
        point("2025-05-01T09:00:00Z", block=1, redact=1, flag=1),
        point("2025-05-01T10:00:00Z", redact=1, shadow=1),
        point("2025-05-01T12:00:00Z", block=1, shadow=1),
    ]
    summary = await platform.client.get(f"/api/v1/violations/summary?{DAY}", headers=acme.headers[Role.OWNER])
    assert sum(p["total"] for p in body["points"]) == summary.json()["total"] == 7
    theirs = await series(platform, globex, f"{DAY}&granularity=hour")
    assert theirs["points"] == [point("2025-05-01T09:00:00Z", block=1, redact=1)]


async def test_the_range_is_exact_and_daily_buckets_split_at_utc_midnight(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    midnight = datetime(2025, 5, 2, tzinfo=UTC)
    await seed(
        platform,
        acme.tenant.id,
        {"created_at": midnight - timedelta(microseconds=1)},
        {"created_at": midnight, "action": "block"},
        {"created_at": midnight + timedelta(hours=23, minutes=59), "action": "flag"},
        {"created_at": midnight + timedelta(days=1), "action": "block"},  # == until: outside
    )
    until = "until=2025-05-03T00:00:00Z"
    daily = await series(platform, acme, f"since=2025-05-01T00:00:00Z&{until}&granularity=day")
    assert daily["points"] == [
        point("2025-05-01T00:00:00Z", redact=1),
        point("2025-05-02T00:00:00Z", block=1, flag=1),
    ]
    # `since` inside a bucket: that bucket holds only what falls in the range (a time without zone is UTC)
    cut = await series(platform, acme, f"since=2025-05-02T00:00:00&{until}&granularity=day")
    assert cut["since"] == "2025-05-02T00:00:00Z"
    assert cut["points"] == [point("2025-05-02T00:00:00Z", block=1, flag=1)]
    late = await series(platform, acme, f"since=2025-05-02T12:00:00%2B02:00&{until}&granularity=day")
    assert late["points"] == [point("2025-05-02T00:00:00Z", flag=1)]  # from 10:00 UTC on


async def test_an_empty_range_has_no_points_and_the_default_is_the_last_30_days(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    await seed_hours(platform, acme.tenant.id)
    empty = await series(platform, acme, "since=2025-04-01T00:00:00Z&until=2025-05-01T09:00:00Z")
    assert empty["points"] == [] and empty["granularity"] == "hour"
    now = datetime.now(UTC)
    await seed(
        platform,
        acme.tenant.id,
        {"created_at": now - timedelta(days=29)},
        {"created_at": now - timedelta(days=31)},
    )
    recent = await series(platform, acme, "granularity=day")
    assert [p["total"] for p in recent["points"]] == [1]
    until = datetime.fromisoformat(recent["until"])
    assert until - datetime.fromisoformat(recent["since"]) == timedelta(days=30)
    assert abs((until - now).total_seconds()) < 60


async def test_bad_queries_are_refused_and_members_may_not_read_it(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    for query, status, code in (
        ("granularity=minute", 422, "validation_failed"),
        ("granularity=", 422, "validation_failed"),
        ("since=2025-05-02T00:00:00Z&until=2025-05-01T00:00:00Z", 400, "invalid_range"),
        ("since=2025-05-01T00:00:00Z&until=2025-05-01T00:00:00Z", 400, "invalid_range"),
        ("since=2024-01-01T00:00:00Z&until=2025-05-01T00:00:00Z", 400, "range_too_long"),
        ("since=yesterday", 422, "validation_failed"),
    ):
        response = await platform.client.get(
            f"/api/v1/violations/timeseries?{query}", headers=acme.headers[Role.ADMIN]
        )
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), query
    denied = await platform.client.get("/api/v1/violations/timeseries", headers=acme.headers[Role.MEMBER])
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")
    for role in (Role.OWNER, Role.ADMIN, Role.AUDITOR):
        assert (await series(platform, acme, "", role))["points"] == []
