"""The appender against real databases: group commit, idempotency, several writers, outages and replay."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from tests.audit.helpers import control_event, data_event, reference_root, stored_events

from trueport.audit.canonical import canonical_json
from trueport.audit.events import ControlPlaneEvent, DataPlaneEvent, dump_event, leaf_document
from trueport.audit.log import AuditLog
from trueport.audit.merkle import leaf_hash
from trueport.audit.spool import Spool
from trueport.audit.tree import StoredTree, tenant_view
from trueport.db.engine import SessionFactory, create_engine, session_factory

Event = DataPlaneEvent | ControlPlaneEvent


def appender(sessions: Any, spool_dir: Path, **options: Any) -> AuditLog:
    settings: dict[str, Any] = {
        "batch_size": 100,
        "flush_interval_s": 0.02,
        "db_timeout_s": 5.0,
        "retry_interval_s": 0.1,
    }
    settings.update(options)
    return AuditLog(sessions, Spool(spool_dir), **settings)


async def check_log(sessions: SessionFactory, expected: list[Event]) -> None:
    """Exactly the expected events, in that order, numbered without gaps, hashed as the leaves say."""
    rows = await stored_events(sessions)
    assert [row.event_id for row in rows] == [event.event_id for event in expected]
    assert [row.idx for row in rows] == list(range(len(expected)))
    tenant_counts: dict[str, int] = {}
    for row, event in zip(rows, expected, strict=True):
        tenant_seq = None
        if event.tenant_id is not None:
            tenant_seq = tenant_counts.get(event.tenant_id, 0)
            tenant_counts[event.tenant_id] = tenant_seq + 1
        assert row.tenant_seq == tenant_seq
        assert bytes(row.body) == canonical_json(leaf_document(event, row.idx, tenant_seq))
        assert bytes(row.leaf_hash) == leaf_hash(bytes(row.body))
    async with sessions() as session:
        size, root = await StoredTree(session).head()
    assert size == len(expected)
    assert root == reference_root([bytes(row.body) for row in rows])


async def test_group_commit_logs_every_event_in_order(sessions: SessionFactory, tmp_path: Path) -> None:
    log = appender(sessions, tmp_path / "spool")
    await log.start()
    events: list[Event] = []
    for n in range(1_050):
        event: Event = control_event(None, n) if n % 10 == 0 else data_event(f"tenant-{n % 3}", n)
        events.append(event)
        log.append(event)
    await log.stop()
    assert log.committed == 1_050
    assert log.spooled == 0
    await check_log(sessions, events)

    # Heads and proofs for earlier sizes come from the stored subtrees.
    rows = await stored_events(sessions)
    bodies = [bytes(row.body) for row in rows]
    async with sessions() as session:
        tree = StoredTree(session)
        for size in (1, 2, 3, 511, 512, 513, 1_000, 1_050):
            assert await tree.root(size) == reference_root(bodies[:size])
        view = await tenant_view(session, "tenant-1", after_seq=9, limit=5)
    assert [event.tenant_seq for event in view] == [10, 11, 12, 13, 14]
    assert all(bytes(rows[event.index].body) == event.body for event in view)


async def test_the_same_event_is_logged_once(sessions: SessionFactory, tmp_path: Path) -> None:
    log = appender(sessions, tmp_path / "spool")
    first, second = data_event(n=1), data_event(n=2)
    log.append(first)
    log.append(first)  # twice in one batch
    log.append(second)
    await log.flush()
    log.append(second)  # again in a later batch
    await log.flush()
    assert (log.committed, log.duplicates) == (2, 2)
    await check_log(sessions, [first, second])


async def test_record_waits_until_the_event_is_committed(sessions: SessionFactory, tmp_path: Path) -> None:
    log = appender(sessions, tmp_path / "spool", flush_interval_s=0.01)
    await log.start()
    events = [data_event(n=n) for n in range(20)]
    await asyncio.gather(*(log.record(event) for event in events))
    assert log.pending == 0
    assert len(await stored_events(sessions)) == 20  # durable before stop()
    await log.stop()


async def test_several_writers_share_one_log(
    sessions: SessionFactory, database_url: str, tmp_path: Path
) -> None:
    """Replicas append to the same tree: the lock serialises their batches, nothing interleaves badly."""
    from trueport.settings import async_database_url

    engines = [create_engine(async_database_url(database_url)) for _ in range(3)]
    logs = [
        appender(session_factory(engine), tmp_path / f"spool-{i}", batch_size=25)
        for i, engine in enumerate(engines)
    ]
    for log in logs:
        await log.start()
    per_writer: list[list[Event]] = [[], [], []]
    for n in range(600):
        event = data_event(f"tenant-{n % 4}", n)
        per_writer[n % 3].append(event)
        logs[n % 3].append(event)
        if n % 50 == 0:
            await asyncio.sleep(0)
    await asyncio.gather(*(log.stop() for log in logs))
    for engine in engines:
        await engine.dispose()

    rows = await stored_events(sessions)
    assert len(rows) == 600 and len({row.event_id for row in rows}) == 600
    position = {row.event_id: row.idx for row in rows}
    for events in per_writer:  # each writer's events keep their order
        indexes = [position[event.event_id] for event in events]
        assert indexes == sorted(indexes)
    for tenant in ("tenant-0", "tenant-1", "tenant-2", "tenant-3"):
        assert sorted(row.tenant_seq for row in rows if row.tenant_id == tenant) == list(range(150))
    assert [row.idx for row in rows] == list(range(600))
    async with sessions() as session:
        _, root = await StoredTree(session).head()
    assert root == reference_root([bytes(row.body) for row in rows])


class Outage:
    """A session factory that fails like an unreachable database while ``down`` is set."""

    def __init__(self, real: SessionFactory):
        self.real = real
        self.down = False
        self.lose_next_commit_answer = False

    def __call__(self) -> Any:
        if self.down:
            raise ConnectionRefusedError("database unreachable")
        return self._session()

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        async with self.real() as session:
            if self.lose_next_commit_answer:
                self.lose_next_commit_answer = False
                commit = session.commit

                async def commit_then_fail() -> None:
                    await commit()
                    raise ConnectionResetError("connection lost before the answer to COMMIT")

                session.commit = commit_then_fail  # type: ignore[method-assign]
            yield session


async def test_an_outage_spools_and_the_replay_loses_and_duplicates_nothing(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    outage = Outage(sessions)
    log = appender(outage, tmp_path / "spool", batch_size=20)
    await log.start()
    events: list[Event] = [data_event(f"tenant-{n % 2}", n) for n in range(300)]
    await asyncio.gather(*(log.record(event) for event in events[:100]))  # queued in this order
    outage.down = True
    await asyncio.gather(*(log.record(event) for event in events[100:200]))  # durable: fsync'd to the spool
    assert log.spooled > 0 and log.spool_pending
    assert len(await stored_events(sessions)) == 100
    outage.down = False
    for event in events[200:]:
        log.append(event)
    await log.stop()
    assert not log.spool_pending
    assert log.duplicates == 0
    assert list((tmp_path / "spool").iterdir()) == []
    await check_log(sessions, events)


async def test_a_commit_whose_answer_was_lost_is_not_duplicated(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    outage = Outage(sessions)
    log = appender(outage, tmp_path / "spool", batch_size=10)
    events: list[Event] = [data_event(n=n) for n in range(30)]
    for event in events[:10]:
        log.append(event)
    outage.lose_next_commit_answer = True
    await log.flush()  # committed, but the appender heard an error: the batch went to the spool too
    assert log.spooled == 10 and log.failures == 1
    for event in events[10:]:
        log.append(event)
    await log.flush()
    await log.stop()
    assert log.duplicates == 10
    await check_log(sessions, events)


async def test_the_next_process_replays_a_spool_left_behind(sessions: SessionFactory, tmp_path: Path) -> None:
    """A process killed during an outage leaves its spool (maybe with a torn last line); the next replays it."""
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    left = [data_event(n=n) for n in range(50)]
    orphan = spool_dir / "00000000000000000001-dead.jsonl"
    orphan.write_bytes(
        b"".join(dump_event(event) + b"\n" for event in left) + dump_event(data_event(n=99))[:40]
    )
    done_before_the_crash = sum(len(dump_event(event)) + 1 for event in left[:20])
    (spool_dir / (orphan.name + ".done")).write_text(str(done_before_the_crash))
    # ...and the crash came between the commit of those 20 and the record of it: they are in the log.
    earlier = appender(sessions, tmp_path / "other-spool")
    for event in left[:25]:
        earlier.append(event)
    await earlier.stop()

    log = appender(sessions, tmp_path / "spool")
    await log.start()
    fresh = [data_event(n=n) for n in range(100, 110)]
    for event in fresh:
        log.append(event)
    await log.stop()
    assert list(spool_dir.iterdir()) == []
    rows = await stored_events(sessions)
    assert len(rows) == 60
    assert {row.event_id for row in rows} == {event.event_id for event in left + fresh}
    await check_log(sessions, [*left, *fresh])


def test_an_event_with_no_canonical_form_is_refused_at_once(tmp_path: Path) -> None:
    log = AuditLog(Callable, Spool(tmp_path))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not exactly a double"):
        log.append(control_event().model_copy(update={"after": {"big": 2**60 + 1}}))
    assert log.pending == 0


@pytest.mark.postgres
async def test_a_real_postgresql_stopped_under_load_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """The server goes away mid-stream (fast shutdown) and comes back; the writer never stops appending."""
    await _outage(tmp_path, outage_s=1.5, interval_s=0.002)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_postgresql_stopped_for_a_minute_under_load_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    """The issue's case: a minute without the database while events keep coming (about 25 a second)."""
    await _outage(tmp_path, outage_s=60.0, interval_s=0.04)


async def _outage(tmp_path: Path, *, outage_s: float, interval_s: float) -> None:
    from support.migrated import upgrade_empty_to_head
    from support.postgres import start_postgres
    from trueport.settings import async_database_url

    with start_postgres() as server:
        url = async_database_url(server.create_database("audit_outage"))
        await asyncio.to_thread(upgrade_empty_to_head, url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        log = appender(sessions, tmp_path / "spool", batch_size=50, db_timeout_s=2.0, retry_interval_s=0.2)
        await log.start()
        events: list[Event] = []

        async def produce(count: int) -> None:
            for n in range(count):
                event = data_event(f"tenant-{n % 5}", len(events))
                events.append(event)
                log.append(event)
                await asyncio.sleep(interval_s)

        producer = asyncio.create_task(produce(int((outage_s + 3.0) / interval_s)))
        await asyncio.sleep(0.5)
        # support.postgres has no restart; pg_ctl on the same data directory is one.
        await asyncio.to_thread(server._pg_ctl, "stop", "-m", "fast", "-w", "-t", "30")
        await asyncio.sleep(outage_s)
        log_file = str(server.root / "postgres.log")
        await asyncio.to_thread(
            server._pg_ctl, "start", "-w", "-t", "30", "-l", log_file, "-o", f"-p {server.port}"
        )
        await producer
        await log.stop()
        assert log.spooled > 0 and log.failures > 0
        assert not log.spool_pending
        await check_log(sessions, events)
        await engine.dispose()


async def test_an_event_that_cannot_be_logged_does_not_hold_up_the_others(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    log = appender(sessions, tmp_path / "spool")
    good = [data_event(n=n) for n in range(3)]
    broken = data_event(n=9, endpoint="/v1/\ud800")  # a lone surrogate has no UTF-8 form
    for event in (good[0], broken, good[1], good[2]):
        log.append(event)
    await log.flush()
    assert (log.committed, log.rejected) == (3, 1)
    await check_log(sessions, good)


def test_numbers_in_data_plane_events_always_have_a_canonical_form() -> None:
    from pydantic import ValidationError

    from trueport.audit.events import Usage

    with pytest.raises(ValidationError):
        Usage(prompt_tokens=2**53)
    with pytest.raises(ValidationError):
        data_event(outcome={"status_code": 200, "latency_ms": float("nan")})


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CHILD = """
import asyncio, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.audit.helpers import data_event
from trueport.audit.log import AuditLog
from trueport.audit.spool import Spool
from trueport.db.engine import create_engine, session_factory

async def main():
    real = session_factory(create_engine({url!r}))
    count = 0
    def sessions():
        if count >= 150:  # from here on the database is gone: events go to the spool
            raise ConnectionRefusedError("database unreachable")
        return real()
    log = AuditLog(sessions, Spool(Path({spool!r})), batch_size=20, flush_interval_s=0.005)
    await log.start()
    while True:
        events = [data_event("tenant-k", count + i) for i in range(5)]
        await asyncio.gather(*(log.record(event) for event in events))
        count += 5
        for event in events:
            print(event.event_id, flush=True)  # the "2xx": only after the event is durable

asyncio.run(main())
"""


async def test_events_acknowledged_before_a_kill_9_are_all_logged(
    sqlite_database_url: str, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys

    from support.migrated import upgrade_empty_to_head
    from trueport.settings import async_database_url

    url = async_database_url(sqlite_database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    script = tmp_path / "child.py"
    root = str(Path(__file__).parents[2])
    script.write_text(CHILD.format(root=root, url=url, spool=str(tmp_path / "spool")))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    acknowledged: list[str] = []
    while len(acknowledged) < 400:
        line = await asyncio.to_thread(child.stdout.readline)
        assert line, "the child died"
        if UUID.fullmatch(line.strip()):  # (its log lines go to stdout too)
            acknowledged.append(line.strip())
    child.send_signal(signal.SIGKILL)
    child.wait()
    acknowledged += [line for line in child.stdout.read().split() if UUID.fullmatch(line)]
    child.stdout.close()

    engine = create_engine(url)
    sessions = session_factory(engine)
    log = appender(sessions, tmp_path / "spool")
    await log.start()
    await log.stop()
    rows = await stored_events(sessions)
    logged = [row.event_id for row in rows]
    assert len(logged) == len(set(logged))
    assert set(acknowledged) <= set(logged)
    assert log.replayed >= 250
    assert [row.tenant_seq for row in rows] == list(range(len(rows)))
    assert rows and bytes(rows[0].body)
    await engine.dispose()


def test_the_trace_id_is_in_the_leaf_only_when_the_call_had_one() -> None:
    from datetime import UTC, datetime

    from trueport.audit.events import Outcome

    ts = datetime(2026, 12, 7, tzinfo=UTC)
    plain = DataPlaneEvent(
        event_id="e-1",
        ts=ts,
        request_id="r-1",
        endpoint="/v1/chat/completions",
        outcome=Outcome(status_code=200),
    )
    traced = plain.model_copy(update={"trace_id": "0af7651916cd43dd8448eb211c80319c"})
    assert "trace_id" not in leaf_document(plain, 0, None)  # events from before the field keep their hash
    assert leaf_document(traced, 0, None)["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    with pytest.raises(ValueError, match="trace_id"):
        DataPlaneEvent(
            request_id="r-2", endpoint="/v1/x", outcome=Outcome(status_code=200), trace_id="not hex"
        )
