"""The recorder against a real database (SQLite and PostgreSQL): every call in the books once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from support.migrated import upgrade_empty_to_head
from trueport.audit.log import AuditLog
from trueport.audit.spool import Spool
from trueport.audit.tables import AuditEventRow
from trueport.books import recorder as recorder_module
from trueport.books.item import encode
from trueport.books.recorder import Recorder
from trueport.books.sources import SpoolSource
from trueport.books.spool import SpoolWriter
from trueport.books.status import FileBoard
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import DeadLetter, RequestRecord, UsageRollup
from trueport.events.event import Event
from trueport.settings import async_database_url
from trueport.usage.pricing import PricingCatalog, TenantPrices
from trueport.usage.records import RequestRecordData
from trueport.usage.writer import RecordWriter

TENANT = str(uuid.UUID(int=7))


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


class Published:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, topic: str, event: Event) -> None:
        self.events.append(event)


def call(status: int = 200, **fields: object) -> RequestRecordData:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "created_at": datetime.now(UTC),
        "endpoint": "/v1/chat/completions",
        "status_code": status,
        "tenant_id": TENANT,
        "key_id": str(uuid.UUID(int=8)),
        "alias": "gpt-4o-mini",
        "provider": "openai",
        "upstream_model": "gpt-4o-mini",
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "latency_ms": 12.0,
        "targets_tried": ["openai/gpt-4o-mini"],
    }
    values.update(fields)
    return RequestRecordData(**values)  # type: ignore[arg-type]


def recorder(
    sessions: SessionFactory, spool: Path, events: Published | None = None, board: FileBoard | None = None
) -> Recorder:
    prices = TenantPrices(PricingCatalog.load())
    records = RecordWriter(sessions, prices, batch_size=100, flush_interval_s=1, max_pending=1000)
    audit = AuditLog(sessions, Spool(spool / "unused"))
    return Recorder(SpoolSource(spool), sessions, records, audit, events=events, board=board, batch_size=100)  # type: ignore[arg-type]


async def counts(sessions: SessionFactory) -> tuple[int, int, int, int]:
    async with sessions() as session:
        records = await session.scalar(select(func.count()).select_from(RequestRecord))
        events = await session.scalar(select(func.count()).select_from(AuditEventRow))
        letters = await session.scalar(select(func.count()).select_from(DeadLetter))
        requests = await session.scalar(
            select(func.coalesce(func.sum(UsageRollup.requests), 0)).where(UsageRollup.granularity == "hour")
        )
    return int(records or 0), int(events or 0), int(letters or 0), int(requests or 0)


def write(spool: Path, lines: Sequence[bytes]) -> None:
    writer = SpoolWriter(spool)
    writer.append(list(lines))
    writer.close()


async def test_calls_become_records_audit_events_roll_ups_and_inference_events(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    answered, refused, anonymous = call(), call(429, error_class="RateLimited"), call(401, tenant_id=None)
    write(
        tmp_path,
        [
            encode(answered, 200, [(b"x-ratelimit-limit-requests", b"60")], audited=True),
            encode(refused, 429, [], audited=True),
            encode(anonymous, 401, [], audited=False),
            b"this is not a call",
        ],
    )
    published = Published()
    books = recorder(sessions, tmp_path, published)
    await books.drain()
    await books.source.close()
    assert await counts(sessions) == (3, 2, 1, 2)  # the anonymous call has no tenant: no roll-up
    async with sessions() as session:
        row = await session.get(RequestRecord, answered.id)
        assert row is not None and row.cost_usd > 0  # priced by the recorder, not the serving process
        event_ids = set(await session.scalars(select(AuditEventRow.event_id)))
        letter = (await session.scalars(select(DeadLetter))).one()
    assert event_ids == {answered.id, refused.id}  # the event id is the request id
    assert letter.kind == "call_item" and bytes(letter.payload) == b"this is not a call"
    assert sorted(event.data["request_id"] for event in published.events) == sorted(
        [answered.id, refused.id, anonymous.id]
    )


async def test_a_chunk_read_again_after_a_crash_is_not_written_twice(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    calls = [call() for _ in range(5)]
    write(tmp_path, [encode(c, 200, [], audited=True) for c in calls])
    first = recorder(sessions, tmp_path)
    await first.drain()
    await first.source.close()
    assert await counts(sessions) == (5, 5, 0, 5)
    write(tmp_path, [encode(c, 200, [], audited=True) for c in calls])  # as if its offset was lost
    published = Published()
    second = recorder(sessions, tmp_path, published)
    await second.drain()
    await second.source.close()
    assert await counts(sessions) == (5, 5, 0, 5)
    assert published.events == []  # nothing newly written, nothing announced again


async def test_a_database_outage_holds_the_chunk_until_it_can_be_written(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    books = recorder(sessions, tmp_path)
    real = books.records._sessions

    def unreachable() -> object:
        raise ConnectionResetError("the database went away")

    books.records._sessions = unreachable  # type: ignore[assignment]
    await books.start()
    write(tmp_path, [encode(call(), 200, [], audited=True) for _ in range(3)])
    for _ in range(100):
        if books.failures:
            break
        await asyncio.sleep(0.05)
    assert books.failures > 0 and books.health(0.01) is not None
    books.records._sessions = real
    for _ in range(200):
        if (await counts(sessions))[0] == 3:
            break
        await asyncio.sleep(0.05)
    await books.stop()
    assert await counts(sessions) == (3, 3, 0, 3)  # audit events were committed once, records after
    assert books.health(1.0) == "stopped"


async def test_the_first_heartbeat_does_not_wait_for_a_period(
    sessions: SessionFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The serving processes are not ready before the recorder's first heartbeat: when the spool is
    # acquired (a thread hop after start), the first beat follows at once, not a period later.
    monkeypatch.setattr(recorder_module, "_HEARTBEAT_S", 60.0)
    board = FileBoard(tmp_path)
    books = recorder(sessions, tmp_path, board=board)
    await books.start()
    try:
        await asyncio.wait_for(books.beating.wait(), 10)
        status = await board.read()
        assert status is not None and status.lag == 0 and status.calls == 0
    finally:
        await books.stop()
