"""Write-ahead mode: a waiter's event is durable after one spool fsync; the database follows behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.audit.helpers import data_event, reference_root, stored_events

from trueport.audit.log import AuditLog
from trueport.audit.spool import Spool
from trueport.audit.tree import StoredTree
from trueport.db.engine import SessionFactory


def _log(sessions: SessionFactory, spool_dir: Path) -> AuditLog:
    return AuditLog(sessions, Spool(spool_dir, write_ahead=True), batch_size=40, write_ahead=True)


async def test_waiters_share_spool_fsyncs_and_the_database_catches_up(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    log = _log(sessions, tmp_path / "spool")
    await log.start()
    events = [data_event(n=n) for n in range(300)]
    await asyncio.gather(*(log.record(event) for event in events[:150]))
    assert log.spooled >= 150 and log.committed == 0  # durable in the spool, not yet necessarily in the DB
    for event in events[150:]:
        log.append(event)
    await log.flush()
    # Waiters' events came through the spool; the rest went straight in once it was empty.
    assert log.replayed >= 150 and log.replayed + log.committed == 300 and log.duplicates == 0
    rows = await stored_events(sessions)
    assert [row.event_id for row in rows] == [event.event_id for event in events]  # in order
    async with sessions() as session:
        size, root = await StoredTree(session).head()
    assert size == 300 and root == reference_root([bytes(row.body) for row in rows])
    await log.stop()
    assert list((tmp_path / "spool").iterdir()) == []  # fully replayed: nothing left for the next process


async def test_a_spool_left_by_a_crash_replays_without_duplicates(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    """The own file keeps no progress marker while the process lives: after a crash it replays whole."""
    spool_dir = tmp_path / "spool"
    first = _log(sessions, spool_dir)
    await first.start()
    events = [data_event(n=n) for n in range(60)]
    await asyncio.gather(*(first.record(event) for event in events))
    await first.flush()
    assert first.replayed == 60
    spool = first._spool  # the crash: the process is gone, its lock with it, its file stays
    assert spool._own is not None
    spool._own.handle.close()
    spool._own = None
    assert len(list(spool_dir.glob("*.jsonl"))) == 1

    second = _log(sessions, spool_dir)
    await second.start()  # adopts the orphan
    await second.flush()
    await second.stop()
    assert second.duplicates == 60 and second.replayed == 0
    assert len(await stored_events(sessions)) == 60
    assert list(spool_dir.iterdir()) == []
