"""The batched record writer against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import RequestRecord
from trueport.settings import async_database_url
from trueport.usage.pricing import PricingCatalog
from trueport.usage.records import RequestRecordData
from trueport.usage.writer import RecordWriter


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


def record(**fields: object) -> RequestRecordData:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "created_at": datetime.now(UTC),
        "endpoint": "/v1/chat/completions",
        "status_code": 200,
    }
    values.update(fields)
    return RequestRecordData(**values)  # type: ignore[arg-type]


async def count(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(RequestRecord)) or 0)


async def test_group_commit_writes_every_record_with_its_cost(sessions: SessionFactory) -> None:
    writer = RecordWriter(
        sessions, PricingCatalog.load(), batch_size=100, flush_interval_s=0.05, max_pending=10_000
    )
    await writer.start()
    for i in range(1_050):
        writer.submit(record(upstream_model="gpt-4o-mini", prompt_tokens=1000, completion_tokens=i))
    await writer.stop()
    assert writer.written == 1_050
    assert await count(sessions) == 1_050
    async with sessions() as session:
        row = (
            await session.execute(select(RequestRecord).where(RequestRecord.completion_tokens == 1000))
        ).scalar_one()
    # 1000 in at 0.15/M + 1000 out at 0.60/M
    assert float(row.cost_usd) == pytest.approx(0.00075)
    assert row.pricing_version == PricingCatalog.load().version


async def test_unknown_models_cost_nothing_and_say_so(sessions: SessionFactory) -> None:
    writer = RecordWriter(
        sessions, PricingCatalog.load(), batch_size=10, flush_interval_s=0.05, max_pending=100
    )
    writer.submit(record(upstream_model="mystery", prompt_tokens=5))
    await writer.flush()
    async with sessions() as session:
        row = (await session.execute(select(RequestRecord))).scalar_one()
    assert float(row.cost_usd) == 0
    assert row.pricing_version is None


async def test_a_failed_batch_is_kept_and_retried_in_order(sessions: SessionFactory) -> None:
    broken = {"on": True}
    real = sessions

    def flaky() -> object:
        if broken["on"]:
            raise OSError("database unreachable")
        return real()

    writer = RecordWriter(
        flaky,
        PricingCatalog.load(),
        batch_size=5,
        flush_interval_s=0.02,  # type: ignore[arg-type]
        max_pending=1000,
    )
    await writer.start()
    for i in range(12):
        writer.submit(record(completion_tokens=i))
    await asyncio.sleep(0.3)
    assert writer.failures > 0
    assert writer.pending == 12
    broken["on"] = False
    await writer.stop()
    assert await count(sessions) == 12
    assert writer.dropped == 0
