"""The batched writer of request records: the data plane hands records over, never waits on the DB.

Records queue in memory and are inserted in one transaction per batch (group commit) when the batch
is full or ``flush_interval_ms`` has passed. If the database fails (connection lost, down, timeout),
the batch stays queued and is retried with backoff; at most ``max_pending`` records wait in memory
(the oldest beyond that are dropped and counted, loudly). If it refuses the batch for a data reason,
the batch is split to find the records it refuses alone: those go to the ``dead_letters`` table and
everything else is written (``trueport.db.dead_letters``). No exception stops the loop: an unexpected
one is logged and retried with backoff. ``stop()`` writes everything still queued before returning.
``health()`` says whether the writer keeps up (``/readyz``).

The same transaction keeps the hourly and daily roll-ups current (``trueport.usage.rollups``), and
records are priced with the tenant's negotiated prices where it has some (``TenantPrices``).
Prometheus counters are updated on ``submit``, before the database, so they do not wait on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import time
from collections import deque
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import insert, select

from trueport import metrics
from trueport.db import dead_letters
from trueport.db.engine import SessionFactory
from trueport.db.models import GuardViolation, RequestRecord, ReviewItem
from trueport.jsonutil import JSONObject
from trueport.usage import rollups
from trueport.usage.pricing import PricingCatalog, TenantPrices
from trueport.usage.records import RequestRecordData
from trueport.usage.reviews import raised, review_row

log = structlog.get_logger(__name__)

_MAX_BACKOFF_S = 5.0
_INSERT = insert(RequestRecord.__table__)  # type: ignore[arg-type]
_INSERT_VIOLATIONS = insert(GuardViolation.__table__)  # type: ignore[arg-type]
_INSERT_REVIEWS = insert(ReviewItem.__table__)  # type: ignore[arg-type]
_COST_PLACES = Decimal("1e-10")  # the precision of ``cost_usd`` columns: records and roll-ups agree


class RecordWriter:
    def __init__(
        self,
        sessions: SessionFactory,
        catalog: PricingCatalog | TenantPrices,
        *,
        batch_size: int,
        flush_interval_s: float,
        max_pending: int,
    ):
        self._sessions = sessions
        self.prices = catalog if isinstance(catalog, TenantPrices) else TenantPrices(catalog)
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._max_pending = max_pending
        self._queue: deque[RequestRecordData] = deque()
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()  # one batch in flight; flush() waits for it
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.written = 0
        self.dropped = 0
        self.failures = 0
        self.dead_lettered = 0
        self._progress_at = time.monotonic()  # last write, or when the queue last became non-empty

    @property
    def pending(self) -> int:
        return len(self._queue)

    def submit(self, record: RequestRecordData) -> None:
        """Queue one record (never blocks, never raises)."""
        try:
            observe(record)
        except Exception:  # a metric must never cost a record
            log.exception("request_record_metrics_failed", request_id=record.id)
        if not self._queue:
            self._progress_at = time.monotonic()
        self._queue.append(record)
        if len(self._queue) > self._max_pending:
            self._queue.popleft()
            self.dropped += 1
            metrics.RECORDS_DROPPED.inc()
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error("request_records_dropped", dropped=self.dropped, max_pending=self._max_pending)
        metrics.RECORDS_PENDING.set(len(self._queue))
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def health(self, max_lag_s: float) -> str | None:
        """None when the writer keeps up; otherwise why not (for ``/readyz``).

        Behind: records are queued and no batch has been written for ``max_lag_s`` (the database
        is failing, or the writer cannot keep up). Stopped: the writer's task is not running.
        """
        if self._task is None or self._task.done():
            return "stopped"
        lag = self.lag_s()
        if lag > max_lag_s:
            return f"behind: {len(self._queue)} records queued, none written for {lag:.0f} s"
        return None

    def lag_s(self) -> float:
        """Seconds the queue has been waiting without a batch written; 0 when it is empty."""
        return time.monotonic() - self._progress_at if self._queue else 0.0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="record-writer")

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Write what is queued (trying for up to ``timeout_s``), then stop.

        If the writer's task is gone (it never started, or was cancelled), what is queued is
        written here: records are flushed at shutdown, not dropped.
        """
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        try:
            async with asyncio.timeout(timeout_s):
                if task is not None:
                    await asyncio.wait({task})  # does not raise, whatever ended the task
                await self._drain()
        except TimeoutError:
            log.error("request_records_unwritten_at_shutdown", pending=len(self._queue))
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _drain(self) -> None:
        """Write until the queue is empty, retrying failures with backoff (the caller bounds it)."""
        backoff = 0.1
        while self._queue:
            try:
                await self._write_batch()
                backoff = 0.1
            except Exception:
                self.failures += 1
                log.warning(
                    "request_records_write_failed_at_shutdown", exc_info=True, pending=len(self._queue)
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)

    async def flush(self) -> None:
        """Write everything queued now, and wait for a batch already in flight (tests and shutdown)."""
        async with self._writing:
            pass
        while self._queue:
            await self._write_batch()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            if not self._queue:
                if self._stopping:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
                self._wake.clear()
            if not self._queue:
                continue
            try:
                await self._write_batch()
                backoff = 0.1
            except Exception as exc:  # the loop's boundary: nothing may stop the books
                self.failures += 1
                if dead_letters.is_transient(exc):
                    metrics.WRITER_ERRORS.labels("records", "transient").inc()
                    log.warning(
                        "request_records_write_failed",
                        error=type(exc).__name__,
                        detail=dead_letters.error_text(exc)[:300],
                        pending=len(self._queue),
                    )
                else:
                    metrics.WRITER_ERRORS.labels("records", "unexpected").inc()
                    log.exception("request_records_writer_error", pending=len(self._queue))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)

    async def _write_batch(self) -> None:
        async with self._writing:
            await self._write_locked()

    async def _write_locked(self) -> None:
        if not self._queue:
            return
        batch = [self._queue.popleft() for _ in range(min(self._batch_size, len(self._queue)))]
        written: set[int] = set()  # id() of the records written so far (a batch may be split)

        async def write(records: list[RequestRecordData]) -> None:
            await self._insert(records)
            written.update(id(record) for record in records)

        try:
            refused = await dead_letters.write_splitting(batch, write)
            await self._dead_letter(refused)
        except dead_letters.WriteInterrupted as interrupted:
            self._queue.extendleft(reversed(interrupted.unwritten))  # type: ignore[arg-type]
            raise interrupted.cause from None
        except BaseException:
            self._queue.extendleft(reversed([r for r in batch if id(r) not in written]))
            raise
        finally:
            metrics.RECORDS_PENDING.set(len(self._queue))
        self._progress_at = time.monotonic()

    async def write_now(self, batch: list[RequestRecordData]) -> list[RequestRecordData]:
        """Write ``batch`` now (the recorder's path): the records newly written, in order.

        Records already in the table (same id: a chunk the recorder reads again after a crash) are
        skipped, so their roll-ups are not counted twice. Records the database refuses alone go to
        the dead letters. Raises on a transient failure; nothing of the batch is then kept here.
        """
        written: list[RequestRecordData] = []

        async def write(records: list[RequestRecordData]) -> None:
            written.extend(await self._insert(records, skip_existing=True))

        try:
            refused = await dead_letters.write_splitting(batch, write)
        except dead_letters.WriteInterrupted as interrupted:
            raise interrupted.cause from None
        await self._dead_letter(refused)
        return written

    async def _insert(
        self, batch: list[RequestRecordData], *, skip_existing: bool = False
    ) -> list[RequestRecordData]:
        """One transaction: the records, their guard violations and review items, the roll-ups they change."""
        async with self._sessions() as session:
            if skip_existing:
                ids = [record.id for record in batch]
                found = await session.scalars(select(RequestRecord.id).where(RequestRecord.id.in_(ids)))
                existing = set(found)
                batch = [record for record in batch if record.id not in existing]
                if not batch:
                    return []
            rows = [self._row(record) for record in batch]
            # Core executemany on the table: several times cheaper than the ORM's bulk insert.
            await session.execute(_INSERT, rows)
            violations = [_violation_row(record, v) for record in batch for v in record.violations]
            if violations:
                await session.execute(_INSERT_VIOLATIONS, violations)
                reviews = [review_row(review) for record in batch for review in raised(record)]
                if reviews:  # inline flags the tenant's policy sends to a person (usage.reviews)
                    await session.execute(_INSERT_REVIEWS, reviews)
            rolled = (
                rollups.RolledRecord.of(row, len(record.violations))
                for row, record in zip(rows, batch, strict=True)
            )
            await rollups.apply(session, rollups.summarize(r for r in rolled if r is not None))
            await session.commit()
        self.written += len(batch)
        for row in rows:
            cost = float(row["cost_usd"])
            if cost > 0 and math.isfinite(cost):  # a counter takes no negative increment
                metrics.COST_USD.labels(row["provider"] or "").inc(cost)
        return batch

    async def _dead_letter(self, refused: list[tuple[RequestRecordData, BaseException]]) -> None:
        """Park the records the database refused alone (a transient failure here keeps them queued)."""
        if not refused:
            return
        rejected = [
            dead_letters.Rejected(
                kind="request_record",
                item_id=record.id,
                tenant_id=record.tenant_id,
                error=dead_letters.error_text(exc),
                payload=dead_letters.payload_of(dataclasses.asdict(record)),
            )
            for record, exc in refused
        ]
        try:
            await dead_letters.store(self._sessions, rejected)
        except Exception as exc:
            if not dead_letters.is_data_error(exc):  # kept queued: retried by the loop
                raise dead_letters.WriteInterrupted([record for record, _ in refused], exc) from exc
            # The dead-letter table refused them too: nothing more can be kept (never expected:
            # its text columns are cleaned, the payload is bytes). Dropped, loudly.
            self.dropped += len(refused)
            metrics.RECORDS_DROPPED.inc(len(refused))
            log.exception("request_records_dead_letter_failed", request_ids=[r.id for r, _ in refused])
            return
        self.dead_lettered += len(refused)

    def _row(self, record: RequestRecordData) -> dict[str, Any]:
        priced: tuple[Decimal, str] | None = None
        if record.upstream_model is not None:
            priced = self.prices.cost(
                record.tenant_id,
                record.upstream_model,
                record.prompt_tokens,
                record.completion_tokens,
                record.cached_tokens,
            )
        return {
            "id": record.id,
            "tenant_id": record.tenant_id,
            "key_id": record.key_id,
            "created_at": record.created_at,
            "endpoint": record.endpoint,
            "alias": record.alias,
            "provider": record.provider,
            "upstream_model": record.upstream_model,
            "stream": record.stream,
            "status_code": record.status_code,
            "error_class": record.error_class,
            "attempts": record.attempts,
            "fallback": record.fallback,
            "served_from": record.served_from,
            "latency_ms": round(record.latency_ms, 3),
            "ttft_ms": round(record.ttft_ms, 3) if record.ttft_ms is not None else None,
            "prompt_tokens": record.prompt_tokens,
            "completion_tokens": record.completion_tokens,
            "cached_tokens": record.cached_tokens,
            "cost_usd": priced[0].quantize(_COST_PLACES) if priced is not None else Decimal(0),
            "pricing_version": priced[1] if priced is not None else None,
            "upstream_usage_invalid": record.upstream_usage_invalid,
        }


_REQUESTS = metrics.Children(metrics.REQUESTS)
_REQUEST_LATENCY = metrics.Children(metrics.REQUEST_LATENCY)
_TOKENS = metrics.Children(metrics.TOKENS)
_LIMIT_REFUSALS = metrics.Children(metrics.LIMIT_REFUSALS)
_GUARD_FINDINGS = metrics.Children(metrics.GUARD_FINDINGS)


def _status_class(status: int) -> str:
    return f"{status // 100}xx" if 200 <= status < 600 else "other"


def observe(record: RequestRecordData) -> None:
    """Prometheus counters for one request (labels bounded: see ``trueport.metrics``)."""
    provider = record.provider or ""
    status = _status_class(record.status_code)
    _REQUESTS(provider, (record.alias or "") if record.provider else "", status).inc()
    _REQUEST_LATENCY(provider, status).observe(max(record.latency_ms, 0.0) / 1000)
    if record.prompt_tokens > 0:
        _TOKENS(provider, "prompt").inc(record.prompt_tokens)
    if record.completion_tokens > 0:
        _TOKENS(provider, "completion").inc(record.completion_tokens)
    if record.cached_tokens > 0:
        _TOKENS(provider, "cached").inc(record.cached_tokens)
    if record.status_code in (402, 429):
        _LIMIT_REFUSALS(record.error_class or "").inc()
    for violation in record.violations:
        _GUARD_FINDINGS(str(violation["detector"]), str(violation["action"])).inc()


def _violation_row(record: RequestRecordData, violation: JSONObject) -> dict[str, Any]:
    return {
        "request_id": record.id,
        "tenant_id": record.tenant_id,
        "key_id": record.key_id,
        "created_at": record.created_at,
        "direction": violation["direction"],
        "source": violation["source"],
        "location": dead_letters.clean(str(violation["location"]), 200),  # may quote a client's keys
        "detector": violation["detector"],
        "type": violation["type"],
        "action": violation["action"],
        "shadow": violation["shadow"],
        "score": violation["score"],
        "start": violation["start"],
        "end": violation["end"],
        "policy_version": violation["policy_version"],
    }
