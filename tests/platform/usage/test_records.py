"""``GET /api/v1/usage/records``: filters, pages, the default range, scoping and roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.platform.harness import ControlPlaneHarness
from tests.platform.usage.seed import FORMULA, K1, K2, K_OTHER, RANGE, Usage, make_record

from trueport.platform.rbac import MATRIX, Permission, Role


async def record_ids(platform: ControlPlaneHarness, usage: Usage, **params: str | int) -> list[str]:
    response = await platform.client.get(
        "/api/v1/usage/records", params={**RANGE, **params}, headers=usage.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [record["id"] for record in response.json()["data"]]


async def test_filters_select_the_expected_records(platform: ControlPlaneHarness, usage: Usage) -> None:
    a1, a2, a3, a4, a5, a6 = usage.ids
    assert await record_ids(platform, usage) == usage.ids  # neither neighbour day, nor other tenants
    assert await record_ids(platform, usage, key_id=K2) == [a3, a4, a6]
    assert await record_ids(platform, usage, alias="oa") == [a1, a3, a5]
    assert await record_ids(platform, usage, alias=FORMULA) == [a4]
    assert await record_ids(platform, usage, provider="anthropic") == [a2]
    assert await record_ids(platform, usage, status="ok") == [a1, a2, a5]
    assert await record_ids(platform, usage, status="error") == [a3, a4, a6]
    assert await record_ids(platform, usage, key_id=K1, alias="oa") == [a1, a5]
    assert await record_ids(platform, usage, key_id=K_OTHER) == []
    # until is exclusive, since inclusive; a time without a zone is UTC
    assert await record_ids(platform, usage, since="2025-03-11T00:00:00", until="2025-03-11T12:00:00Z") == [
        a3
    ]
    assert await record_ids(platform, usage, since="2025-03-11", until="2025-03-12") == [a3, a4]


async def test_a_record_is_shown_in_full(platform: ControlPlaneHarness, usage: Usage) -> None:
    response = await platform.client.get(
        "/api/v1/usage/records", params={**RANGE, "key_id": K1, "status": "ok"}, headers=usage.headers
    )
    streamed = response.json()["data"][-1]
    assert datetime.fromisoformat(streamed.pop("created_at")) == datetime(2025, 3, 12, 8, tzinfo=UTC)
    assert streamed == {
        "id": usage.ids[4],
        "key_id": K1,
        "endpoint": "/v1/chat/completions",
        "alias": "oa",
        "provider": "openai",
        "upstream_model": "gpt-4o-mini",
        "stream": True,
        "status_code": 200,
        "error_class": None,
        "attempts": 1,
        "fallback": False,
        "served_from": None,
        "latency_ms": 250.0,
        "ttft_ms": 20.5,
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "cached_tokens": 200,
        "cost_usd": "0.0125",
        "pricing_version": "2025-01",
    }


async def test_pages_follow_the_cursor(platform: ControlPlaneHarness, usage: Usage) -> None:
    seen: list[str] = []
    params: dict[str, str | int] = {**RANGE, "limit": 4}
    first = (await platform.client.get("/api/v1/usage/records", params=params, headers=usage.headers)).json()
    assert len(first["data"]) == 4 and first["next_cursor"]
    seen += [r["id"] for r in first["data"]]
    params["cursor"] = first["next_cursor"]
    second = (await platform.client.get("/api/v1/usage/records", params=params, headers=usage.headers)).json()
    seen += [r["id"] for r in second["data"]]
    assert second["next_cursor"] is None
    assert seen == usage.ids
    filtered = {**RANGE, "limit": 2, "status": "error"}
    page = (await platform.client.get("/api/v1/usage/records", params=filtered, headers=usage.headers)).json()
    rest = await platform.client.get(
        "/api/v1/usage/records", params={**filtered, "cursor": page["next_cursor"]}, headers=usage.headers
    )
    assert [r["id"] for r in page["data"] + rest.json()["data"]] == [usage.ids[i] for i in (2, 3, 5)]


async def test_the_default_range_is_the_last_30_days(platform: ControlPlaneHarness, usage: Usage) -> None:
    now = datetime.now(UTC)
    recent = make_record(usage.acme.id, now - timedelta(days=29), alias="recent", cost_usd=Decimal("0.5"))
    old = make_record(usage.acme.id, now - timedelta(days=31), alias="old")
    async with platform.sessions() as session:
        session.add_all([recent, old])
        await session.commit()
    response = await platform.client.get("/api/v1/usage/records", headers=usage.headers)
    assert [r["id"] for r in response.json()["data"]] == [recent.id]
    since_only = await platform.client.get(
        "/api/v1/usage/records",
        params={"since": (now - timedelta(days=40)).isoformat()},
        headers=usage.headers,
    )
    assert [r["id"] for r in since_only.json()["data"]] == [old.id, recent.id]


async def test_bad_ranges_are_refused(platform: ControlPlaneHarness, usage: Usage) -> None:
    long_ago = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    for params, status, code in (
        ({"since": "2025-03-10T00:00:00Z", "until": "2025-03-10T00:00:00Z"}, 400, "invalid_range"),
        ({"since": "2025-03-11", "until": "2025-03-10"}, 400, "invalid_range"),
        ({"since": "2024-01-01", "until": "2025-01-02"}, 400, "range_too_long"),
        ({"since": long_ago}, 400, "range_too_long"),
        ({"until": "0001-01-01T00:00:00Z"}, 400, "invalid_range"),  # the default since is before year 1
        ({"until": "yesterday"}, 422, "validation_failed"),
        ({"alias": "oa\x00"}, 400, "invalid_request"),  # NUL: refused where it enters
        ({"key_id": "k1' OR 1=1"}, 422, "validation_failed"),
        ({"status": "meh"}, 422, "validation_failed"),
        ({"key_id": "x" * 37}, 422, "validation_failed"),
        ({"cursor": "%%%"}, 400, "invalid_cursor"),
    ):
        for path in ("/api/v1/usage/records", "/api/v1/usage/aggregates", "/api/v1/usage/export.csv"):
            if "cursor" in params and not path.endswith("records"):
                continue
            response = await platform.client.get(path, params=params, headers=usage.headers)
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), (path, params)
    one_year = await platform.client.get(
        "/api/v1/usage/records", params={"since": "2024-01-01", "until": "2025-01-01"}, headers=usage.headers
    )
    assert one_year.status_code == 200  # 366 days (a leap year) is allowed


async def test_another_tenant_sees_only_its_own(platform: ControlPlaneHarness, usage: Usage) -> None:
    response = await platform.client.get("/api/v1/usage/records", params=RANGE, headers=usage.other_headers)
    records = response.json()["data"]
    assert len(records) == 3
    assert {r["key_id"] for r in records} == {K_OTHER}
    assert not set(usage.ids) & {r["id"] for r in records}


async def test_every_role_with_usage_read_may_read(platform: ControlPlaneHarness, usage: Usage) -> None:
    assert (await platform.client.get("/api/v1/usage/records")).status_code == 401
    outsider = await platform.user("outsider@else.test")
    refused = await platform.client.get("/api/v1/usage/records", headers=platform.auth(outsider, usage.acme))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_a_member")
    for role in Role:
        user = await platform.user(f"{role.value}.role@acme.test")
        await platform.member(usage.acme, user, role)
        for path in ("/api/v1/usage/records", "/api/v1/usage/aggregates", "/api/v1/usage/export.csv"):
            response = await platform.client.get(path, params=RANGE, headers=platform.auth(user, usage.acme))
            allowed = Permission.USAGE_READ in MATRIX[role]
            assert response.status_code == (200 if allowed else 403), (role, path)
