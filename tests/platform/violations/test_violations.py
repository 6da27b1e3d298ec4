"""``/api/v1/violations``: a tenant's guard findings, filtered, paged and counted; nobody else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.platform.harness import ControlPlaneHarness
from tests.platform.policies.conftest import Team, team
from tests.platform.violations.conftest import BASE, seed

from trueport.platform.pagination import encode_cursor
from trueport.platform.rbac import Role

FIELDS = {
    "id", "request_id", "key_id", "created_at", "direction", "source", "location", "detector", "type",
    "action", "shadow", "score", "start", "end", "policy_version",
}  # fmt: skip
KEY_A, KEY_B = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
REQUEST = "33333333-3333-4333-8333-333333333333"


async def listed(
    platform: ControlPlaneHarness, team: Team, query: str = "", role: Role = Role.AUDITOR
) -> Any:
    response = await platform.client.get(f"/api/v1/violations{query}", headers=team.headers[role])
    assert response.status_code == 200, response.text
    return response.json()


async def seed_mixed(platform: ControlPlaneHarness, tenant_id: str) -> None:
    await seed(
        platform,
        tenant_id,
        {"created_at": BASE, "key_id": KEY_A},
        {"created_at": BASE + timedelta(minutes=1), "detector": "secrets", "type": "aws_access_key",
         "action": "block", "key_id": KEY_A, "request_id": REQUEST},
        {"created_at": BASE + timedelta(minutes=2), "direction": "output", "source": "completion",
         "key_id": KEY_B, "policy_version": 2},
        {"created_at": BASE + timedelta(minutes=3), "detector": "injection", "type": "prompt_injection",
         "action": "block", "shadow": True, "start": None, "end": None, "key_id": KEY_B},
        {"created_at": BASE + timedelta(minutes=4), "detector": "bias", "type": "stereotype",
         "action": "flag", "key_id": KEY_B},
    )  # fmt: skip


async def test_a_tenant_lists_its_own_violations_without_any_content(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    globex = await team(platform, "globex")
    await seed_mixed(platform, acme.tenant.id)
    await seed(platform, globex.tenant.id, {"type": "phone"}, {"detector": "secrets", "type": "github_token"})
    page = await listed(platform, acme)
    assert page["next_cursor"] is None
    assert [(v["detector"], v["type"]) for v in page["data"]] == [
        ("pii", "email"),
        ("secrets", "aws_access_key"),
        ("pii", "email"),
        ("injection", "prompt_injection"),
        ("bias", "stereotype"),
    ]
    assert all(set(v) == FIELDS for v in page["data"])
    first = page["data"][0]
    assert first["created_at"] == "2025-05-01T09:30:00Z"
    assert (first["location"], first["start"], first["end"], first["score"]) == (
        "messages[0].content",
        9,
        38,
        0.98,
    )
    theirs = await listed(platform, globex)
    assert sorted(v["type"] for v in theirs["data"]) == ["github_token", "phone"]


async def test_filters_narrow_the_list(platform: ControlPlaneHarness, acme: Team) -> None:
    await seed_mixed(platform, acme.tenant.id)

    async def types(query: str) -> list[str]:
        return [v["type"] for v in (await listed(platform, acme, query))["data"]]

    assert await types("?detector=pii") == ["email", "email"]
    assert await types("?type=stereotype") == ["stereotype"]
    assert await types("?action=block") == ["aws_access_key", "prompt_injection"]
    assert await types("?direction=output") == ["email"]
    assert await types(f"?key_id={KEY_A}") == ["email", "aws_access_key"]
    assert await types(f"?request_id={REQUEST}") == ["aws_access_key"]
    assert await types("?since=2025-05-01T09:32:00Z") == ["email", "prompt_injection", "stereotype"]
    assert await types("?until=2025-05-01T09:32:00Z") == ["email", "aws_access_key"]
    window = "?since=2025-05-01T09:31:00Z&until=2025-05-01T09:34:00Z&action=block"
    assert await types(window) == ["aws_access_key", "prompt_injection"]
    assert await types(f"?detector=pii&key_id={KEY_A}&direction=output") == []


async def test_pages_follow_time_then_id_even_when_times_are_equal(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    await seed(platform, acme.tenant.id, *({"start": n} for n in range(5)))  # one batch, one timestamp
    await seed(platform, acme.tenant.id, {"start": 5, "created_at": BASE - timedelta(seconds=1)})
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        page = await listed(platform, acme, "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [v["start"] for v in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 0, 1, 2, 3, 4]


async def test_bad_queries_are_refused(platform: ControlPlaneHarness, acme: Team) -> None:
    headers = acme.headers[Role.ADMIN]
    bad_cursor = encode_cursor(datetime.now(UTC), "not-a-number")
    for query, status, code in (
        (f"?cursor={bad_cursor}", 400, "invalid_cursor"),
        ("?since=2025-05-02T00:00:00Z&until=2025-05-01T00:00:00Z", 400, "invalid_time_range"),
        ("?action=shred", 422, "validation_failed"),
        ("?direction=sideways", 422, "validation_failed"),
        ("?detector=PII;drop", 422, "validation_failed"),
        ("?key_id=%00", 400, "invalid_request"),  # NUL: refused where it enters (PostgreSQL refuses it)
        ("?request_id=a%27b", 422, "validation_failed"),
        ("?since=2025-05-01T00:00:00", 422, "validation_failed"),  # no time zone
    ):
        response = await platform.client.get(f"/api/v1/violations{query}", headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), query


async def test_members_may_not_read_violations(platform: ControlPlaneHarness, acme: Team) -> None:
    await seed_mixed(platform, acme.tenant.id)
    for path in ("", "/summary"):
        denied = await platform.client.get(f"/api/v1/violations{path}", headers=acme.headers[Role.MEMBER])
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "permission_denied"
        for role in (Role.OWNER, Role.ADMIN, Role.AUDITOR):
            allowed = await platform.client.get(f"/api/v1/violations{path}", headers=acme.headers[role])
            assert allowed.status_code == 200, (role, path)


async def test_the_summary_counts_by_detector_action_and_type(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    globex = await team(platform, "globex")
    await seed_mixed(platform, acme.tenant.id)
    await seed(platform, globex.tenant.id, {"type": "phone"})
    response = await platform.client.get(
        "/api/v1/violations/summary?since=2025-05-01T00:00:00Z&until=2025-05-02T00:00:00Z",
        headers=acme.headers[Role.AUDITOR],
    )
    assert response.status_code == 200
    assert response.json() == {
        "since": "2025-05-01T00:00:00Z",
        "until": "2025-05-02T00:00:00Z",
        "total": 5,
        "shadow": 1,
        "by_detector": {"bias": 1, "injection": 1, "pii": 2, "secrets": 1},
        "by_action": {"block": 2, "flag": 1, "redact": 2},
        "by_type": [
            {"detector": "pii", "type": "email", "count": 2},
            {"detector": "bias", "type": "stereotype", "count": 1},
            {"detector": "injection", "type": "prompt_injection", "count": 1},
            {"detector": "secrets", "type": "aws_access_key", "count": 1},
        ],
    }


async def test_the_summary_covers_the_last_30_days_by_default(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    now = datetime.now(UTC)
    await seed(
        platform,
        acme.tenant.id,
        {"created_at": now - timedelta(days=1)},
        {"created_at": now - timedelta(days=29), "action": "block"},
        {"created_at": now - timedelta(days=31), "type": "phone"},
    )
    summary = (
        await platform.client.get("/api/v1/violations/summary", headers=acme.headers[Role.OWNER])
    ).json()
    assert summary["total"] == 2
    assert summary["by_action"] == {"block": 1, "redact": 1}
    until = datetime.fromisoformat(summary["until"])
    assert until - datetime.fromisoformat(summary["since"]) == timedelta(days=30)
    assert abs((until - now).total_seconds()) < 60
    empty = await platform.client.get(
        "/api/v1/violations/summary?until=2020-01-01T00:00:00Z", headers=acme.headers[Role.OWNER]
    )
    assert empty.json()["total"] == 0 and empty.json()["by_type"] == []
