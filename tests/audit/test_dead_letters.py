"""One event the database refuses never stops the audit log: it is dead-lettered and attested in the
tree, every other event is appended in order, and the tree stays consistent."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.audit.helpers import data_event, reference_root, stored_events
from tests.audit.test_log import appender

from trueport.audit.events import DataPlaneEvent, dump_event
from trueport.audit.tree import StoredTree
from trueport.db.engine import SessionFactory
from trueport.db.models import DeadLetter


async def parked(sessions: SessionFactory) -> list[DeadLetter]:
    async with sessions() as session:
        return list(
            (await session.execute(select(DeadLetter).where(DeadLetter.kind == "audit_event"))).scalars()
        )


async def assert_consistent(sessions: SessionFactory) -> None:
    rows = await stored_events(sessions)
    assert [row.idx for row in rows] == list(range(len(rows)))
    async with sessions() as session:
        size, root = await StoredTree(session).head()
    assert size == len(rows)
    assert root == reference_root([bytes(row.body) for row in rows])


async def test_one_refused_event_among_1000_is_dead_lettered_and_attested(
    sessions: SessionFactory, tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite stores a NUL in text: the event is not refused there")
    log = appender(sessions, tmp_path / "spool")
    await log.start()
    events: list[DataPlaneEvent] = []
    poison = data_event("tenant-\x00", 500)  # a valid event whose tenant id PostgreSQL refuses
    for n in range(1_000):
        event = poison if n == 500 else data_event(f"tenant-{n % 3}", n)
        events.append(event)
        log.append(event)
    await asyncio.wait_for(log.flush(), 60)
    await log.stop()
    rows = await stored_events(sessions)
    logged = [row.event_id for row in rows if row.kind == "data_plane"]
    assert logged == [event.event_id for event in events if event is not poison]  # in order
    attestations = [json.loads(bytes(row.body)) for row in rows if row.kind == "control_plane"]
    assert len(attestations) == 1
    attested = attestations[0]
    assert attested["actor"] == "system:audit-writer" and attested["action"] == "dead_letter"
    assert attested["object_id"] == poison.event_id
    assert attested["after"]["sha256"] == hashlib.sha256(dump_event(poison)).hexdigest()
    assert attested["tenant_id"] is None  # the event's tenant id is what the database refused
    [letter] = await parked(sessions)
    assert letter.item_id == poison.event_id and bytes(letter.payload) == dump_event(poison)
    assert log.dead_lettered == 1
    await assert_consistent(sessions)
    assert not log.spool_pending


async def test_an_unreadable_spool_line_is_dead_lettered_not_dropped(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    good = data_event("tenant-a", 1)
    (spool / "00000000000000000001-deadbeef.jsonl").write_bytes(
        dump_event(good) + b"\n" + b'{"not": "an event"}\n'
    )
    log = appender(sessions, spool)
    await log.start()
    await asyncio.wait_for(log.flush(), 30)
    await log.stop()
    rows = await stored_events(sessions)
    assert rows[0].event_id == good.event_id
    [letter] = await parked(sessions)
    assert bytes(letter.payload) == b'{"not": "an event"}'
    assert rows[1].kind == "control_plane"
    assert json.loads(bytes(rows[1].body))["object_id"] == letter.item_id
    await assert_consistent(sessions)
