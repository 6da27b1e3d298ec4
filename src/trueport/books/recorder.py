"""The recorder: keeps the books from the finished calls the serving processes hand over.

It reads chunks of call lines from its source (``trueport.books.sources``: the local spool or the
Redis stream) and for each chunk, in this order:

1. appends the audit events of the audited calls to the Merkle log (one group commit; the event id
   is the request id, so a chunk read twice adds nothing; events the database refuses alone are
   dead-lettered and attested, as the audit log does);
2. writes the request records, their guard violations, the review items of their inline flags
   (``trueport.usage.reviews``) and the roll-ups they change (one transaction; records already there
   are skipped, refused ones dead-lettered);
3. acknowledges the chunk to the source, then publishes an ``inference.events.v1`` event per record
   newly written, and a ``review.created`` event (``hitl.events.v1``) per review item it made.

A line that is not a call item is dead-lettered (kind ``call_item``). A transient failure (the
database is away) keeps the chunk and retries it with backoff: nothing is acknowledged before it is
in the books, so a recorder killed at any point loses nothing and, restarted, duplicates nothing.
Pricing happens here, with the tenants' prices (reloaded when the configuration changes), never on
the serving path.

``heartbeat`` publishes how the recorder is doing (``trueport.books.status``) so that the serving
processes' ``/readyz`` can say when the books fall behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time

import structlog

from trueport.audit.dataplane import dataplane_event
from trueport.audit.events import DataPlaneEvent
from trueport.audit.log import AuditLog
from trueport.books.item import CallItem, decode
from trueport.books.sources import Chunk, Source
from trueport.books.status import RecorderStatus, StatusBoard
from trueport.db import dead_letters
from trueport.db.engine import SessionFactory
from trueport.events.bus import EventBus
from trueport.events.event import Event
from trueport.events.inference import INFERENCE_TOPIC, inference_event
from trueport.gateway.guard_queue import HITL_TOPIC
from trueport.usage.reviews import raised
from trueport.usage.writer import RecordWriter

log = structlog.get_logger(__name__)

_MAX_BACKOFF_S = 5.0
_HEARTBEAT_S = 1.0
# Until the first read has tried the spool (a thread hop away), the source is not active yet: the
# first beat must not wait a whole period for it (serving processes are not ready without it).
_FIRST_BEAT_POLL_S = 0.02
_FIRST_BEAT_WINDOW_S = 5.0
STANDBY_STOP_S = 10.0


class Recorder:
    def __init__(
        self,
        source: Source,
        sessions: SessionFactory,
        records: RecordWriter,
        audit: AuditLog,
        *,
        events: EventBus | None = None,
        board: StatusBoard | None = None,
        batch_size: int = 500,
        wait_s: float = 0.05,
        interval_s: float = 0.0,
    ):
        self.source = source
        self._sessions = sessions
        self.records = records
        self._audit = audit
        self.events = events
        self._board = board
        self._batch_size = batch_size
        self._wait_s = wait_s
        self._interval_s = interval_s  # after a chunk short of a batch: let the next one fill up
        self._task: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.beating = asyncio.Event()  # set once the first heartbeat is published
        self._held: Chunk | None = None  # read, not yet in the books (retried first)
        self._working = asyncio.Lock()
        self._stopping = False
        self._standby_until = 0.0
        self._failing_since: float | None = None
        self.calls = 0  # call items put in the books (records newly written or already there)
        self.events_logged = 0
        self.unreadable = 0
        self.failures = 0

    @property
    def written(self) -> int:
        return self.records.written

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="recorder")
        if self._board is not None:
            self._heartbeat = asyncio.create_task(self._beat(), name="recorder-heartbeat")

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the chunk in hand and what is waiting (for up to ``timeout_s``), then stop.

        A standby (another recorder reads the spool) first waits up to ``STANDBY_STOP_S`` to take the
        spool over: when several ``serve`` processes on one machine stop together, the last recorder
        to stop reads what the others' processes handed over last.
        """
        self._stopping = True
        self._standby_until = time.monotonic() + min(STANDBY_STOP_S, timeout_s / 2)
        try:
            for task in (self._task, self._heartbeat):
                if task is None or task.done():
                    continue
                try:
                    await asyncio.wait_for(asyncio.shield(task), timeout_s if task is self._task else 0.1)
                except TimeoutError:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        finally:
            self._task = self._heartbeat = None
            await self.source.close()

    async def drain(self) -> None:
        """Put everything waiting in the books now (tests, and the in-process recorder's flush)."""
        while True:
            async with self._working:
                chunk = self._held or await self.source.read(self._batch_size, 0)
                if chunk is None:
                    return
                self._held = chunk
                await self._keep(chunk)
                self._held = None

    def health(self, max_lag_s: float) -> str | None:
        if self._task is None or self._task.done():
            return "stopped"
        if self._failing_since is not None and time.monotonic() - self._failing_since > max_lag_s:
            return (
                f"behind: the books have not been written for {time.monotonic() - self._failing_since:.0f} s"
            )
        return None

    async def _run(self) -> None:
        backoff = 0.0
        while True:
            async with self._working:
                try:
                    chunk = self._held or await self.source.read(self._batch_size, self._wait_s)
                    if chunk is None:
                        if self._stopping and (self.source.active or time.monotonic() > self._standby_until):
                            return
                        continue
                    self._held = chunk
                    await self._keep(chunk)
                    self._held = None
                    self._failing_since = None
                    backoff = 0.0
                    short = len(chunk.lines) < self._batch_size
                except Exception as exc:  # the loop's boundary: the chunk stays in hand, retried
                    self.failures += 1
                    if self._failing_since is None:
                        self._failing_since = time.monotonic()
                    backoff = min(max(backoff * 2, 0.1), _MAX_BACKOFF_S)
                    kind = "transient" if dead_letters.is_transient(exc) else "unexpected"
                    log.warning(
                        "recorder_write_failed", error=type(exc).__name__, detail=str(exc)[:300], kind=kind
                    )
                    if self._stopping and self._held is None:
                        return
                    short = False
            if backoff:
                await asyncio.sleep(backoff)
            elif short and not self._stopping:
                # Per-chunk costs (the tree's lock and frontier, the offset record) dominate small
                # chunks: 20 calls cost ~4x more CPU each than 500. Let the next chunk fill up.
                await asyncio.sleep(self._interval_s)

    async def _keep(self, chunk: Chunk) -> None:
        items: list[CallItem] = []
        unreadable: list[dead_letters.Rejected] = []
        for number, line in enumerate(chunk.lines):
            if not line:
                continue  # an entry deleted from the stream meanwhile
            try:
                items.append(decode(line))
            except ValueError as exc:
                unreadable.append(
                    dead_letters.Rejected("call_item", f"{self.source.name}:{number}", None, str(exc), line)
                )
        events: list[DataPlaneEvent] = []
        for item in items:
            if not item.audited:
                continue
            try:
                events.append(
                    dataplane_event(
                        item.record,
                        item.ratelimit_headers,
                        item.status,
                        self.records.prices,
                        event_id=item.record.id,
                        ts=item.answered_at,
                    )
                )
            except ValueError as exc:  # no valid event (a bug in its producer): parked, never lost
                unreadable.append(
                    dead_letters.Rejected(
                        "audit_event",
                        item.record.id,
                        item.record.tenant_id,
                        str(exc)[:500],
                        dead_letters.payload_of(dataclasses.asdict(item.record)),
                    )
                )
        if events:
            result = await self._audit.commit_splitting(list(events))
            self.events_logged += result.committed
        written = await self.records.write_now([item.record for item in items])
        if unreadable:
            await dead_letters.store(self._sessions, unreadable)
            self.unreadable += len(unreadable)
        await self.source.ack(chunk)
        self.calls += len(items)
        if self.events is not None:
            for record in written:
                self.events.publish(INFERENCE_TOPIC, inference_event(record, self.records.prices))
                for review in raised(record):  # written with the record (usage.reviews)
                    data = {"kind": "review.created", **review.as_event()}
                    self.events.publish(HITL_TOPIC, Event.new(HITL_TOPIC, review.tenant_id, data))

    async def _beat(self) -> None:
        assert self._board is not None
        first_beat_until = time.monotonic() + _FIRST_BEAT_WINDOW_S
        while True:
            try:
                if not self.source.active:  # a standby (another recorder reads the spool): it speaks
                    early = not self.beating.is_set() and time.monotonic() < first_beat_until
                    await asyncio.sleep(_FIRST_BEAT_POLL_S if early else _HEARTBEAT_S)
                    continue
                lag = await self.source.lag()
                failing = self._failing_since
                await self._board.publish(
                    RecorderStatus(
                        at=time.time(),
                        lag=lag,
                        failing_s=round(time.monotonic() - failing, 1) if failing is not None else 0.0,
                        calls=self.calls,
                    )
                )
                self.beating.set()
            except Exception as exc:  # a heartbeat must never stop the recorder
                log.warning("recorder_heartbeat_failed", error=type(exc).__name__)
            await asyncio.sleep(_HEARTBEAT_S)
