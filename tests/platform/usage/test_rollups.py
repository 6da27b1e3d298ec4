"""Roll-up API numbers equal the sums over the raw request records (a property test).

Random batches of records go through the real ``RecordWriter`` (which keeps the roll-ups in the
records' transaction); then ``/usage/timeseries`` and ``/usage/breakdown`` must add up to exactly
what the records themselves add up to, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import RequestRecord
from trueport.usage.pricing import PricingCatalog
from trueport.usage.records import RequestRecordData
from trueport.usage.rollups import latency_bucket, percentile
from trueport.usage.writer import RecordWriter

START = datetime(2025, 6, 1, tzinfo=UTC)
RANGE = {"since": "2025-06-01T00:00:00Z", "until": "2025-06-04T00:00:00Z"}
KEYS = [str(uuid.UUID(int=n)) for n in (1, 2)]
VIOLATION = {
    "direction": "input", "source": "text", "location": "messages[0]", "detector": "regex",
    "type": "email", "action": "redact", "shadow": False, "score": 1.0, "start": 0, "end": 3,
    "policy_version": 1,
}  # fmt: skip

TARGETS = [
    ("oa", "openai", "gpt-4o-mini"),
    ("an", "anthropic", "claude-haiku-4-5"),
    (None, None, None),
    ("oa", "openai", "mystery"),
]
records = st.builds(
    dict,
    minutes=st.integers(0, 3 * 24 * 60 - 1),
    key=st.sampled_from([*KEYS, None]),
    target=st.sampled_from(TARGETS),
    status=st.sampled_from([200, 200, 200, 429, 502]),
    prompt=st.integers(0, 50_000),
    completion=st.integers(0, 5_000),
    cached=st.integers(0, 1_000),
    latency=st.floats(0, 200_000, allow_nan=False).map(lambda v: round(v, 3)),
    violations=st.integers(0, 2),
)


def to_record(tenant_id: str | None, spec: dict[str, Any]) -> RequestRecordData:
    alias, provider, model = spec["target"]
    return RequestRecordData(
        id=str(uuid.uuid4()),
        created_at=START + timedelta(minutes=spec["minutes"], seconds=17),
        endpoint="/v1/chat/completions",
        status_code=spec["status"],
        tenant_id=tenant_id,
        key_id=spec["key"],
        alias=alias,
        provider=provider,
        upstream_model=model,
        latency_ms=spec["latency"],
        prompt_tokens=spec["prompt"],
        completion_tokens=spec["completion"],
        cached_tokens=min(spec["cached"], spec["prompt"]),
        violations=[VIOLATION] * spec["violations"],
    )


def sums(rows: list[dict[str, Any]] | list[RequestRecord]) -> tuple[Any, ...]:
    def get(row: Any, name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    return (
        sum(get(r, "prompt_tokens") for r in rows),
        sum(get(r, "completion_tokens") for r in rows),
        sum(get(r, "cached_tokens") for r in rows),
        sum(Decimal(str(get(r, "cost_usd"))) for r in rows),
    )


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(records, min_size=1, max_size=25), min_size=1, max_size=4))
async def test_timeseries_and_breakdown_add_up_to_the_records(
    platform: ControlPlaneHarness, batches: list[list[dict[str, Any]]]
) -> None:
    slug = f"t{uuid.uuid4().hex[:12]}"
    tenant = await platform.tenant(slug)
    user = await platform.user(f"owner@{slug}.test")
    await platform.member(tenant, user, "owner")
    headers = platform.auth(user, tenant)
    writer = RecordWriter(platform.sessions, PricingCatalog.load(), batch_size=10, flush_interval_s=1,
                          max_pending=10_000)  # fmt: skip
    for batch in batches:
        for spec in batch:
            writer.submit(to_record(tenant.id, spec))
        writer.submit(to_record(None, batch[0]))  # not rolled up
        await writer.flush()
    async with platform.sessions() as session:
        raw = list(
            (await session.scalars(select(RequestRecord).where(RequestRecord.tenant_id == tenant.id))).all()
        )
    assert len(raw) == sum(len(b) for b in batches)

    for granularity in ("hour", "day"):
        answer = await platform.client.get(
            "/api/v1/usage/timeseries", params={**RANGE, "granularity": granularity}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        points = answer.json()["points"]
        assert sum(p["requests"] for p in points) == len(raw)
        assert sum(p["errors"] for p in points) == sum(r.status_code >= 400 for r in raw)
        assert sum(p["violations"] for p in points) == sum(s["violations"] for b in batches for s in b)
        assert sums(points) == sums(raw)
        width = timedelta(hours=1) if granularity == "hour" else timedelta(days=1)
        for point in points:  # each bucket: its own records, percentiles from their latencies
            start = datetime.fromisoformat(point["bucket_start"])
            mine = [r for r in raw if start <= r.created_at < start + width]
            assert point["requests"] == len(mine)
            histogram = Counter(latency_bucket(r.latency_ms) for r in mine)
            assert (point["p50_ms"], point["p99_ms"]) == (
                percentile(histogram, 0.5),
                percentile(histogram, 0.99),
            )

    for by, column in (("key", "key_id"), ("model", "alias"), ("provider", "provider")):
        answer = await platform.client.get(
            "/api/v1/usage/breakdown", params={**RANGE, "by": by}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        rows = answer.json()["rows"]
        expected = Counter(getattr(r, column) for r in raw)
        assert {row["group"]: row["requests"] for row in rows} == dict(expected)
        assert sums(rows) == sums(raw)
        total = answer.json()["total"]  # the whole range: percentiles of every record's latency
        histogram = Counter(latency_bucket(r.latency_ms) for r in raw)
        assert (total["requests"], total["errors"]) == (len(raw), sum(r.status_code >= 400 for r in raw))
        assert (total["p50_ms"], total["p95_ms"]) == (percentile(histogram, 0.5), percentile(histogram, 0.95))
        assert sums([total]) == sums(raw)
