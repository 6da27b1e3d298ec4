"""The audit appender: the request path hands events over; one task commits them in batches.

``append(event)`` queues and returns at once. ``await record(event)`` queues and returns once the
event is durable, in the database or fsync'd in the local spool: a handler that must not answer
before its audit event is safe awaits that (many such waiters share one commit or one fsync).

Events are written in batches of ``batch_size`` (group commit), when a batch is full or
``flush_interval_s`` has passed. If the database refuses, fails or takes longer than
``db_timeout_s``, the batch goes to the spool instead, and so does everything after it while the
database keeps failing. Replay is retried with backoff up to ``retry_interval_s``; once it succeeds
it runs until the spool is empty, new events waiting in memory behind it. So events reach the log
in the order this process took them. The log drops events it already has (by event id), so a
replay after a commit that succeeded without our hearing of it duplicates nothing.

No single event can stop the log. A replayed chunk the database refuses for a data reason (an
integrity or data error: never an outage, never a damaged tree) is split to find the events it
refuses alone; the others are appended in their order, and each refused one goes to the
``dead_letters`` table (kind ``audit_event``, its spool line as payload) and is *attested* in the
tree by a control-plane event (``actor`` ``system:audit-writer``, ``action`` ``dead_letter``,
``object_id`` the event id, with the error and the SHA-256 of the line), under the same tenant: the
event never gets a leaf, and the tree says so. Spool lines that no longer parse, and events with no
canonical form, are dead-lettered the same way. See ARCHITECTURE.md, "Dead letters".
``stop()`` writes what is queued (to the database, else to the spool) before returning.

With ``write_ahead``, the spool is the log's write-ahead file even while the database is up: a
waiter's event (and everything queued before it) is fsync'd to the spool at once, many waiters
sharing one fsync, and the writer replays the spool into the database behind them. A waiter then
pays one local fsync instead of a database transaction; a process killed before the replay leaves
the file for the next one (and the log drops what it already had). Spool reads and writes are
serialised by one lock: they share a file handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import deque
from dataclasses import dataclass

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from trueport.audit.canonical import canonical_json
from trueport.audit.events import ControlPlaneEvent, DataPlaneEvent, dump_event, load_event
from trueport.audit.spool import Spool
from trueport.audit.tree import AppendResult, append_events
from trueport.db import dead_letters
from trueport.db.engine import SessionFactory

log = structlog.get_logger(__name__)

_ADOPT_INTERVAL_S = 30.0
_SPOOL_RETRY_S = 0.5

Event = DataPlaneEvent | ControlPlaneEvent


@dataclass(slots=True)
class _Item:
    event: Event
    durable: asyncio.Future[None] | None


class AuditLog:
    def __init__(
        self,
        sessions: SessionFactory,
        spool: Spool,
        *,
        batch_size: int = 500,
        flush_interval_s: float = 0.05,
        db_timeout_s: float = 5.0,
        retry_interval_s: float = 2.0,
        write_ahead: bool = False,
    ):
        self._sessions = sessions
        self._spool = spool
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._db_timeout = db_timeout_s
        self._max_backoff = retry_interval_s
        self._queue: deque[_Item] = deque()
        self._wake = asyncio.Event()
        self._working = asyncio.Lock()  # one cycle at a time; flush() waits for it
        self._spooling = asyncio.Lock()  # one spool operation at a time (they share file handles)
        self._write_ahead = write_ahead
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._backoff = 0.0
        self._next_db_attempt = 0.0
        self._next_adoption = 0.0
        self._progress_at = time.monotonic()  # last batch made durable, or the queue last filled
        self.committed = 0  # events written straight to the database
        self.spooled = 0  # events written to the spool
        self.replayed = 0  # spooled events since written to the database
        self.duplicates = 0  # events the log already had
        self.rejected = 0  # events with no canonical form (a bug in their producer; logged as errors)
        self.failures = 0  # failed commits
        self.spool_failures = 0  # failed spool writes (the events stay queued)
        self.dead_lettered = 0  # events parked in dead_letters (and attested in the tree)

    @property
    def pending(self) -> int:
        """Events queued in memory (not yet durable)."""
        return len(self._queue)

    @property
    def spool_pending(self) -> bool:
        return self._spool.pending

    def health(self, max_lag_s: float) -> str | None:
        """None when the writer keeps up; otherwise why not (for ``/readyz``): stopped, or events
        queued in memory with nothing made durable (database or spool) for ``max_lag_s``."""
        if self._task is None or self._task.done():
            return "stopped"
        lag = time.monotonic() - self._progress_at if self._queue else 0.0
        if lag > max_lag_s:
            return f"behind: {len(self._queue)} events queued, none made durable for {lag:.0f} s"
        return None

    def append(self, event: Event) -> None:
        """Queue one event; never blocks.

        Raises ValueError when a control-plane event's free-form ``before``/``after`` has no canonical
        form (data-plane events are typed so that they always have one).
        """
        if not self._queue:
            self._progress_at = time.monotonic()
        self._queue.append(_Item(_checked(event), None))
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    async def record(self, event: Event) -> None:
        """Queue one event and wait until it is durable (committed, or fsync'd to the spool)."""
        if self._task is None:
            raise RuntimeError("the audit log is not running")
        durable: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self._queue:
            self._progress_at = time.monotonic()
        self._queue.append(_Item(_checked(event), durable))
        if self._write_ahead:
            await self._spool_queue(durable)  # one fsync for every waiter queued meanwhile
        # A waiter does not sit out the flush interval: the writer starts now, and whatever queues
        # while it commits goes into the next batch (group commit without a timer).
        self._wake.set()
        await asyncio.shield(durable)

    async def start(self) -> None:
        await self._adopt()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="audit-log")

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Write what is queued (database, else spool), try to replay the spool once, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
            except TimeoutError:
                log.error("audit_events_unwritten_at_shutdown", pending=len(self._queue))
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        else:
            await self.flush()
        self._spool.close()

    async def flush(self) -> None:
        """Make everything queued durable, and replay the spool unless the database is failing."""
        self._next_db_attempt = 0.0
        while True:
            async with self._working:
                failed_before = self.failures + self.spool_failures
                await self._cycle()
                failed = self.failures + self.spool_failures != failed_before
                if failed or not (self._queue or self._spool.pending):
                    return

    async def _run(self) -> None:
        while True:
            if not self._queue and not self._replay_due():
                if self._stopping:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                self._wake.clear()
            if time.monotonic() >= self._next_adoption:
                await self._adopt()
            async with self._working:
                await self._cycle()
        self._next_db_attempt = 0.0
        async with self._working:
            await self._cycle()  # one last attempt to replay before the process ends

    def _replay_due(self) -> bool:
        return self._spool.pending and time.monotonic() >= self._next_db_attempt

    async def _cycle(self) -> None:
        if self._replay_due():
            await self._replay()
        if (
            self._spool.pending
        ):  # the database is failing (or write-ahead): queued events go behind the spooled
            await self._spool_queue()
            return
        if not self._queue:
            return
        batch = [self._queue.popleft() for _ in range(min(self._batch_size, len(self._queue)))]
        try:
            result = await self._commit([item.event for item in batch])
        except Exception as exc:  # the boundary: whatever failed, the batch goes to the spool
            self._db_failed(exc)
            self._queue.extendleft(reversed(batch))
            await self._spool_queue()
            return
        self._db_ok()
        self._count(result)
        self._progress_at = time.monotonic()
        _resolve(batch)
        try:
            await self._park_rejected([item.event for item in batch], result)
        except Exception:  # logged as rejected already (``_count``); parking them is best effort here
            log.exception("audit_rejected_events_not_parked", event_ids=result.rejected)

    async def _commit(self, events: list[Event]) -> AppendResult:
        async with asyncio.timeout(self._db_timeout), self._sessions() as session:
            result = await append_events(session, events)
            await session.commit()
        return result

    async def commit_splitting(self, events: list[Event]) -> AppendResult:
        """Commit ``events``; if the database refuses them for a data reason, split them, append
        the rest in order and park (and attest) each one it refuses alone. Raises otherwise."""
        if not events:
            return AppendResult(0, 0, 0, b"", [])
        try:
            result = await self._commit(events)
        except Exception as exc:
            if not dead_letters.is_data_error(exc):
                raise
        else:
            await self._park_rejected(events, result)
            return result
        results: list[AppendResult] = []

        async def write(chunk: list[Event]) -> None:
            results.append(await self._commit(chunk))

        try:
            refused = await dead_letters.write_splitting(events, write)
        except dead_letters.WriteInterrupted as interrupted:
            raise interrupted.cause from None  # the spool keeps the chunk; committed ones are skipped later
        await self._park(
            [
                (dump_event(event), event.event_id, event.tenant_id, dead_letters.error_text(exc))
                for event, exc in refused
            ]
        )
        total = AppendResult(
            sum(r.committed for r in results),
            sum(r.skipped for r in results),
            results[-1].size if results else 0,
            results[-1].root if results else b"",
            [event_id for r in results for event_id in r.rejected],
        )
        await self._park_rejected(events, total)
        return total

    async def _park_rejected(self, events: list[Event], result: AppendResult) -> None:
        """Events with no canonical form were not logged: park them too (visible, attested)."""
        if not result.rejected:
            return
        rejected = set(result.rejected)
        await self._park(
            [
                (dump_event(event), event.event_id, event.tenant_id, "no canonical JSON form")
                for event in events
                if event.event_id in rejected
            ]
        )

    async def _park(self, items: list[tuple[bytes, str, str | None, str]]) -> None:
        """Dead-letter (line, event id, tenant, error) items, then attest each in the tree."""
        if not items:
            return
        await dead_letters.store(
            self._sessions,
            [
                dead_letters.Rejected("audit_event", event_id, tenant_id, error, line)
                for line, event_id, tenant_id, error in items
            ],
        )
        self.dead_lettered += len(items)
        attestations = [
            ControlPlaneEvent(
                tenant_id=_attested_tenant(tenant_id),
                actor="system:audit-writer",
                action="dead_letter",
                object_type="audit_event",
                object_id=dead_letters.clean(event_id, 64),
                after={"error": dead_letters.clean(error, 500), "sha256": hashlib.sha256(line).hexdigest()},
            )
            for line, event_id, tenant_id, error in items
        ]
        try:
            await self._commit(list(attestations))
        except Exception:  # the dead letters are stored: they stay visible even so
            log.exception("audit_dead_letter_attestation_failed", events=len(items))

    async def _spool_queue(self, waiter: asyncio.Future[None] | None = None) -> None:
        """Everything queued to the spool, with one fsync (none if ``waiter`` is durable meanwhile)."""
        async with self._spooling:
            if not self._queue or (waiter is not None and waiter.done()):
                return
            batch = list(self._queue)
            self._queue.clear()
            try:
                await asyncio.to_thread(self._spool.append, [dump_event(item.event) for item in batch])
            except OSError as exc:
                self._queue.extendleft(reversed(batch))
                self.spool_failures += 1
                log.error("audit_spool_write_failed", error=str(exc), pending=len(self._queue))
                failed = True
            else:
                failed = False
        if failed:
            await asyncio.sleep(_SPOOL_RETRY_S)
            return
        self.spooled += len(batch)
        self._progress_at = time.monotonic()
        _resolve(batch)

    async def _replay(self) -> None:
        while True:
            async with self._spooling:
                chunk = await asyncio.to_thread(self._spool.read, self._batch_size)
            if chunk is None:
                return
            spool_file, lines = chunk
            events, unreadable = _parse(lines, spool_file.path.name)
            try:
                result = await self.commit_splitting(events)
                await self._park(unreadable)
            except Exception as exc:  # the boundary: the spool keeps them for the next attempt
                self._db_failed(exc)
                return
            self._db_ok()
            async with self._spooling:
                await asyncio.to_thread(self._spool.mark_replayed, spool_file, lines)
            self._count(result, replayed=True)
            if result.committed and not self._write_ahead:  # write-ahead: the normal path, not news
                log.info("audit_spool_replayed", events=result.committed, duplicates=result.skipped)

    def _count(self, result: AppendResult, *, replayed: bool = False) -> None:
        if replayed:
            self.replayed += result.committed
        else:
            self.committed += result.committed
        self.duplicates += result.skipped
        if result.rejected:
            self.rejected += len(result.rejected)
            log.error("audit_events_rejected", reason="no canonical JSON form", event_ids=result.rejected)

    async def _adopt(self) -> None:
        self._next_adoption = time.monotonic() + _ADOPT_INTERVAL_S
        try:
            async with self._spooling:
                await asyncio.to_thread(self._spool.adopt_orphans)
        except OSError as exc:
            log.error("audit_spool_adoption_failed", error=str(exc))

    def _db_failed(self, exc: Exception) -> None:
        self.failures += 1
        self._backoff = min(max(self._backoff * 2, 0.1), self._max_backoff)
        self._next_db_attempt = time.monotonic() + self._backoff
        if isinstance(exc, SQLAlchemyError | OSError | TimeoutError):
            log.warning(
                "audit_database_unavailable",
                error=type(exc).__name__,
                detail=str(exc)[:200],
                retry_in_s=round(self._backoff, 2),
            )
        else:  # not an outage: a bug or a damaged tree; the events wait in the spool meanwhile
            log.error("audit_commit_failed", error=type(exc).__name__, detail=str(exc)[:500], exc_info=exc)

    def _db_ok(self) -> None:
        self._backoff = 0.0
        self._next_db_attempt = 0.0


def _checked(event: Event) -> Event:
    if isinstance(event, ControlPlaneEvent):  # refuse now what could never be logged
        canonical_json(event.before)
        canonical_json(event.after)
    return event


def _resolve(batch: list[_Item]) -> None:
    for item in batch:
        if item.durable is not None and not item.durable.done():
            item.durable.set_result(None)


def _parse(lines: list[bytes], source: str) -> tuple[list[Event], list[tuple[bytes, str, str | None, str]]]:
    """The events of spool lines, and the lines that are not events (to be dead-lettered)."""
    events: list[Event] = []
    unreadable: list[tuple[bytes, str, str | None, str]] = []
    for number, line in enumerate(lines):
        try:
            events.append(load_event(line))
        except ValidationError as exc:
            log.error("audit_spool_line_unreadable", file=source, line=line[:200].decode(errors="replace"))
            error = f"unreadable spool line: {exc.error_count()} validation errors"
            unreadable.append((line, f"{source}:{number}"[-64:], None, error))
    return events, unreadable


def _attested_tenant(tenant_id: str | None) -> str | None:
    """The tenant an attestation is filed under: the event's, if the database can store it."""
    if tenant_id is None or "\x00" in tenant_id or len(tenant_id) > 36:
        return None
    return tenant_id
