"""``GET /api/v1/usage/aggregates``: exact sums per day, model, key and provider, computed in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from tests.platform.harness import ControlPlaneHarness
from tests.platform.usage.seed import FORMULA, K1, K2, RANGE, SINCE, UNTIL, Usage

from trueport.platform.usage.filters import UsageFilters
from trueport.platform.usage.repository import RecordRepo
from trueport.platform.usage.schemas import GroupBy

COLUMNS = (
    "requests",
    "errors",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_usd",
    "avg_latency_ms",
)


async def rows(
    platform: ControlPlaneHarness, headers: dict[str, str], **params: str
) -> list[tuple[Any, ...]]:
    response = await platform.client.get(
        "/api/v1/usage/aggregates", params={**RANGE, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group_by"] == params.get("group_by", "day")
    return [(row["group"], *(row[c] for c in COLUMNS)) for row in body["rows"]]


async def test_per_day(platform: ControlPlaneHarness, usage: Usage) -> None:
    # A2 at 23:59:59.5 belongs to its own UTC day; A3 at midnight to the next.
    assert await rows(platform, usage.headers, group_by="day") == [
        ("2025-03-10", 2, 0, 300, 150, 10, "0.003", 200.0),
        ("2025-03-11", 2, 2, 10, 0, 0, "0", 30.0),
        ("2025-03-12", 2, 1, 1000, 500, 200, "0.0125", 126.0),
    ]


async def test_per_model_key_and_provider(platform: ControlPlaneHarness, usage: Usage) -> None:
    by_model = await rows(platform, usage.headers, group_by="model")
    assert sorted(by_model, key=lambda row: row[0]) == [
        (FORMULA, 1, 1, 10, 0, 0, "0", 10.0),
        ("an", 1, 0, 200, 100, 0, "0.002", 300.0),
        ("nope", 1, 1, 0, 0, 0, "0", 2.0),
        ("oa", 3, 1, 1100, 550, 210, "0.0135", 133.333),
    ]
    assert await rows(platform, usage.headers, group_by="key") == [
        (K1, 3, 0, 1300, 650, 210, "0.0155", 216.667),
        (K2, 3, 3, 10, 0, 0, "0", 20.667),
    ]
    by_provider = await rows(platform, usage.headers, group_by="provider")
    assert by_provider[-1] == (None, 1, 1, 0, 0, 0, "0", 2.0)  # unknown last, on both backends
    assert sorted(by_provider[:-1]) == [
        ("anthropic", 1, 0, 200, 100, 0, "0.002", 300.0),
        ("openai", 4, 2, 1110, 550, 210, "0.0135", 102.5),
    ]


async def test_filters_apply_before_grouping(platform: ControlPlaneHarness, usage: Usage) -> None:
    assert await rows(platform, usage.headers, group_by="provider", status="error") == [
        ("openai", 2, 2, 10, 0, 0, "0", 30.0),
        (None, 1, 1, 0, 0, 0, "0", 2.0),
    ]
    assert await rows(platform, usage.headers, group_by="day", key_id=K1, alias="oa") == [
        ("2025-03-10", 1, 0, 100, 50, 10, "0.001", 100.0),
        ("2025-03-12", 1, 0, 1000, 500, 200, "0.0125", 250.0),
    ]
    assert await rows(platform, usage.headers, group_by="key", since="2025-03-10T12:00:00Z") == [
        (K1, 2, 0, 1200, 600, 200, "0.0145", 275.0),
        (K2, 3, 3, 10, 0, 0, "0", 20.667),
    ]
    assert await rows(platform, usage.headers, provider="nobody") == []


async def test_each_tenant_sums_only_its_own(platform: ControlPlaneHarness, usage: Usage) -> None:
    assert await rows(platform, usage.other_headers, group_by="day") == [
        ("2025-03-10", 1, 0, 10**6, 0, 0, "100", 9999.0),
        ("2025-03-11", 1, 0, 10**6, 0, 0, "100", 9999.0),
        ("2025-03-12", 1, 0, 10**6, 0, 0, "100", 9999.0),
    ]
    bad = await platform.client.get(
        "/api/v1/usage/aggregates", params={"group_by": "week"}, headers=usage.headers
    )
    assert bad.status_code == 422
    default = await platform.client.get("/api/v1/usage/aggregates", headers=usage.headers)
    body = default.json()
    assert body["group_by"] == "day" and body["rows"] == []  # the seeded days are long past
    assert body["since"] < body["until"]


async def test_days_are_utc_whatever_the_session_time_zone(
    platform: ControlPlaneHarness, usage: Usage
) -> None:
    async with platform.sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("SET TIME ZONE 'Pacific/Auckland'"))  # UTC+13 in March
        filters = UsageFilters(SINCE, UNTIL)
        found = await RecordRepo(session, usage.acme.id).aggregate(GroupBy.DAY, filters)
    assert [(str(row.group), int(row.requests)) for row in found] == [
        ("2025-03-10", 2),
        ("2025-03-11", 2),
        ("2025-03-12", 2),
    ]
