"""One bad record never stops the books: it is dead-lettered, the rest are written (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import func, select

from support.migrated import upgrade_empty_to_head
from trueport.db import dead_letters
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import DeadLetter, RequestRecord
from trueport.metrics import REGISTRY
from trueport.settings import async_database_url
from trueport.usage.pricing import PricingCatalog
from trueport.usage.records import RequestRecordData
from trueport.usage.writer import RecordWriter


@pytest.fixture
async def backend(database_url: str) -> AsyncIterator[tuple[str, SessionFactory]]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield engine.dialect.name, session_factory(engine)
    await engine.dispose()


def record(**fields: object) -> RequestRecordData:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "created_at": datetime.now(UTC),
        "endpoint": "/v1/chat/completions",
        "status_code": 200,
        "tenant_id": "tenant-a",
    }
    values.update(fields)
    return RequestRecordData(**values)  # type: ignore[arg-type]


async def count(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(RequestRecord)) or 0)


async def dead(sessions: SessionFactory) -> list[DeadLetter]:
    async with sessions() as session:
        return list((await session.execute(select(DeadLetter))).scalars())


def dead_letter_count() -> float:
    return REGISTRY.get_sample_value("trueport_dead_letters_total", {"kind": "request_record"}) or 0.0


POISONS: dict[str, dict[str, object]] = {
    "tokens beyond 64 bits": {"prompt_tokens": 10**30},
    "alias with NUL": {"alias": "x\x00"},  # PostgreSQL refuses NUL in text
    "alias over 200 characters": {"alias": "m" * 201},  # PostgreSQL enforces varchar(200)
}


@pytest.mark.parametrize("poison", sorted(POISONS))
async def test_one_poisoned_record_among_1000_is_dead_lettered_and_999_are_written(
    backend: tuple[str, SessionFactory], poison: str
) -> None:
    dialect, sessions = backend
    if dialect == "sqlite" and poison != "tokens beyond 64 bits":
        pytest.skip("SQLite stores NUL characters and any length: not poison there")
    writer = RecordWriter(
        sessions, PricingCatalog.load(), batch_size=500, flush_interval_s=0.02, max_pending=10_000
    )
    before = dead_letter_count()
    await writer.start()
    bad = record(**POISONS[poison])
    for i in range(1_000):
        writer.submit(bad if i == 437 else record(upstream_model="gpt-4o-mini", completion_tokens=i))
    await asyncio.wait_for(writer.flush(), 30)
    assert await count(sessions) == 999
    parked = await dead(sessions)
    assert [row.item_id for row in parked] == [bad.id]
    assert parked[0].kind == "request_record" and parked[0].tenant_id == "tenant-a"
    assert parked[0].error  # the database's message
    assert orjson.loads(parked[0].payload)["id"] == bad.id
    assert writer.dead_lettered == 1 and writer.pending == 0
    assert dead_letter_count() == before + 1
    # and the writer goes on
    writer.submit(record())
    await writer.stop()
    assert await count(sessions) == 1_000


async def test_a_duplicate_request_id_is_dead_lettered_not_retried_forever(
    backend: tuple[str, SessionFactory],
) -> None:
    _, sessions = backend
    writer = RecordWriter(
        sessions, PricingCatalog.load(), batch_size=50, flush_interval_s=0.02, max_pending=1000
    )
    first = record()
    writer.submit(first)
    await writer.flush()
    await writer.start()
    for i in range(99):
        writer.submit(record(id=first.id) if i == 10 else record())
    await asyncio.wait_for(writer.stop(), 30)
    assert await count(sessions) == 1 + 98
    assert [row.item_id for row in await dead(sessions)] == [first.id]


async def test_an_unexpected_exception_is_logged_and_the_writer_goes_on(
    backend: tuple[str, SessionFactory],
) -> None:
    _, sessions = backend
    failures = {"left": 2}

    def buggy() -> object:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("a bug, not the data and not the database")
        return sessions()

    writer = RecordWriter(
        buggy, PricingCatalog.load(), batch_size=10, flush_interval_s=0.02, max_pending=1000
    )  # type: ignore[arg-type]
    await writer.start()
    writer.submit(record())
    await asyncio.sleep(0.5)
    writer.submit(record())
    await asyncio.wait_for(writer.stop(), 30)
    assert writer.failures >= 1
    assert await count(sessions) + len(await dead(sessions)) == 2


async def test_negative_costs_never_reach_a_counter_and_do_not_stop_the_writer(
    backend: tuple[str, SessionFactory],
) -> None:
    _, sessions = backend
    writer = RecordWriter(
        sessions, PricingCatalog.load(), batch_size=10, flush_interval_s=0.02, max_pending=1000
    )
    await writer.start()
    writer.submit(record(upstream_model="gpt-4o-mini", provider="openai", prompt_tokens=-1_000_000_000))
    await asyncio.sleep(0.3)
    writer.submit(record(upstream_model="gpt-4o-mini", provider="openai", prompt_tokens=10))
    await asyncio.wait_for(writer.stop(), 30)
    assert await count(sessions) == 2


async def test_a_lost_connection_keeps_every_record_and_health_says_behind(
    backend: tuple[str, SessionFactory],
) -> None:
    _, sessions = backend
    broken = {"on": True}

    def flaky() -> object:
        if broken["on"]:
            raise ConnectionResetError("connection lost")
        return sessions()

    writer = RecordWriter(flaky, PricingCatalog.load(), batch_size=5, flush_interval_s=0.02, max_pending=1000)  # type: ignore[arg-type]
    await writer.start()
    assert writer.health(max_lag_s=0.2) is None
    for _ in range(12):
        writer.submit(record())
    await asyncio.sleep(0.5)
    assert writer.pending == 12
    assert (writer.health(max_lag_s=0.2) or "").startswith("behind")
    broken["on"] = False
    await asyncio.wait_for(writer.stop(), 30)
    assert await count(sessions) == 12
    assert await dead_letters.count(sessions) == 0
    assert writer.health(max_lag_s=0.2) == "stopped"


async def test_records_are_flushed_at_shutdown_even_if_the_writer_task_is_gone(
    backend: tuple[str, SessionFactory],
) -> None:
    _, sessions = backend
    writer = RecordWriter(
        sessions, PricingCatalog.load(), batch_size=10, flush_interval_s=60, max_pending=1000
    )
    await writer.start()
    assert writer._task is not None
    writer._task.cancel()
    await asyncio.sleep(0)
    for _ in range(25):
        writer.submit(record())
    await asyncio.wait_for(writer.stop(), 30)
    assert await count(sessions) == 25
