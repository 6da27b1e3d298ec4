"""Roll-ups kept by the record writer: bucketing, percentiles, and concurrent replicas losing nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import RequestRecord, UsageRollup
from trueport.settings import async_database_url
from trueport.usage.pricing import Price, PricingCatalog, TenantPrices
from trueport.usage.records import RequestRecordData
from trueport.usage.rollups import bucket_start, latency_bucket, percentile
from trueport.usage.writer import RecordWriter

TENANT = str(uuid.UUID(int=42))
AT = datetime(2025, 7, 4, 13, 45, 10, tzinfo=UTC)


@pytest.fixture
async def url(database_url: str) -> str:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    return url


@pytest.fixture
async def sessions(url: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


def record(latency_ms: float, **fields: object) -> RequestRecordData:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "created_at": AT,
        "endpoint": "/v1/chat/completions",
        "status_code": 200,
        "tenant_id": TENANT,
        "alias": "chat",
        "provider": "openai",
        "upstream_model": "gpt-4o-mini",
        "prompt_tokens": 1000,
        "latency_ms": latency_ms,
    }
    values.update(fields)
    return RequestRecordData(**values)  # type: ignore[arg-type]


def test_buckets_and_percentiles() -> None:
    assert bucket_start(AT, "hour") == datetime(2025, 7, 4, 13, tzinfo=UTC)
    assert bucket_start(AT, "day") == datetime(2025, 7, 4, tzinfo=UTC)
    assert [latency_bucket(v) for v in (0, 5, 5.001, 120_000, 120_001)] == ["5", "5", "10", "120000", "inf"]
    histogram = {"5": 50, "100": 45, "1000": 4, "inf": 1}
    assert (percentile(histogram, 0.5), percentile(histogram, 0.95), percentile(histogram, 0.99)) == (
        5.0,
        100.0,
        1000.0,
    )
    assert percentile({}, 0.5) is None
    assert percentile({"inf": 3}, 0.5) == 120_000.0  # a lower bound: the histogram ends there


async def test_replicas_writing_the_same_rows_at_once_lose_no_count(
    url: str, sessions: SessionFactory
) -> None:
    """Three writers on their own engines (three gateway replicas), small batches, the same buckets."""
    engines = [create_engine(url) for _ in range(3)]
    writers = [
        RecordWriter(
            session_factory(e), PricingCatalog.load(), batch_size=5, flush_interval_s=0.01, max_pending=10_000
        )
        for e in engines
    ]
    per_writer = 60
    for n, writer in enumerate(writers):
        await writer.start()
        for i in range(per_writer):
            writer.submit(record(latency_ms=float(10 * (i % 7) + n), completion_tokens=i))
    for writer in writers:
        await writer.stop()
    for engine in engines:
        await engine.dispose()
    total = 3 * per_writer
    async with sessions() as session:
        rows = (await session.execute(select(UsageRollup))).scalars().all()
        records = int(await session.scalar(select(func.count()).select_from(RequestRecord)) or 0)
        cost = await session.scalar(select(func.sum(RequestRecord.cost_usd)))
    assert records == total
    assert {(r.granularity, r.requests) for r in rows} == {("hour", total), ("day", total)}
    for row in rows:
        assert sum(row.latency_buckets.values()) == total
        assert row.completion_tokens == 3 * sum(range(per_writer))
        assert Decimal(row.cost_usd) == Decimal(cost)


async def test_no_tenant_no_rollup_and_overrides_price_records(sessions: SessionFactory) -> None:
    prices = TenantPrices(PricingCatalog.load())
    prices.set_overrides([(TENANT, "gpt-4o", Price(Decimal(1), Decimal("0.5"), Decimal(2)))])
    writer = RecordWriter(sessions, prices, batch_size=10, flush_interval_s=1, max_pending=100)
    writer.submit(record(5, tenant_id=None, status_code=401))
    writer.submit(record(5, upstream_model="gpt-4o-2024-08-06", prompt_tokens=10**6, cached_tokens=10**6))
    writer.submit(record(5, tenant_id=str(uuid.UUID(int=43)), upstream_model="gpt-4o", prompt_tokens=10**6))
    await writer.flush()
    async with sessions() as session:
        rollups = (await session.execute(select(UsageRollup))).scalars().all()
        priced = {
            r.tenant_id: (Decimal(r.cost_usd), r.pricing_version)
            for r in (await session.execute(select(RequestRecord))).scalars()
        }
    assert {r.tenant_id for r in rollups} == {TENANT, str(uuid.UUID(int=43))}
    assert priced[TENANT] == (Decimal("0.5"), "tenant-override")  # the override's cached price, by prefix
    assert priced[str(uuid.UUID(int=43))] == (Decimal("2.5"), PricingCatalog.load().version)  # catalog
