"""Async detectors: the texts of a call go into a bounded queue; one worker scans them off the hot path.

A detector in ``mode: async`` (``DetectorPolicy.mode``) is too slow for the request's latency, so the
engine defers it (``Decision.deferred``) and the call's guard hands the texts it already extracted to
``GuardScanQueue.submit``: no wait, no failure, whatever the queue's state. The worker scans one job
at a time, in a thread (detectors are CPU-bound; a thread keeps the event loop serving requests), and
writes what reached the policy's thresholds as ``GuardViolation`` rows (action ``flag``: an async
detector can do nothing else) and, for findings enforced (not shadow) on a tenant's request, as
``ReviewItem`` rows: an async detector is by design a judgement a person confirms or dismisses.

The rules of a deferred detector are the policy's own (thresholds, per-type overrides, shadow): the
worker runs a second ``GuardEngine`` on the same policy version with those detectors switched to
inline, so the async verdict is computed exactly as an inline one would be.

Texts live in memory only, for as long as the job waits (never logged, never written). When the
queue is full the **oldest** job is dropped and counted (``dropped``; logged at the first and every
thousandth): fresh texts are worth more than stale ones, and the request must never wait on this.
``stop()`` drains what is queued within a timeout, then gives up (counted as dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from trueport.db.engine import SessionFactory
from trueport.db.models import GuardViolation, ReviewItem, new_id
from trueport.events.bus import EventBus
from trueport.events.event import Event, Topic
from trueport.guard.base import Direction
from trueport.guard.engine import GuardEngine, ScannedText, ViolationRecord
from trueport.guard.policy import RunMode

log = structlog.get_logger(__name__)

_INSERT_VIOLATIONS = insert(GuardViolation.__table__)  # type: ignore[arg-type]
_INSERT_REVIEWS = insert(ReviewItem.__table__)  # type: ignore[arg-type]
_ENGINE_CACHE = 256  # async engines kept (one per tenant policy version in use)


@dataclass(frozen=True, slots=True)
class ScanJob:
    """One call's texts in one direction, for the detectors its policy defers."""

    engine: GuardEngine  # the tenant's engine when the call was made: its policy version decides
    direction: Direction
    texts: tuple[ScannedText, ...]
    request_id: str
    tenant_id: str | None
    key_id: str | None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class ReviewRaised:
    """A review item just created: what ``on_review`` receives (for ``hitl.events.v1``); no text."""

    id: str
    tenant_id: str
    request_id: str
    key_id: str | None
    direction: str
    detector: str
    type: str
    score: float
    location: str
    policy_version: int
    created_at: datetime

    def as_event(self) -> dict[str, Any]:
        return {
            "review_id": self.id,
            "request_id": self.request_id,
            "key_id": self.key_id,
            "direction": self.direction,
            "detector": self.detector,
            "type": self.type,
            "score": round(self.score, 4),
            "location": self.location,
            "policy_version": self.policy_version,
            "status": "open",
            "created_at": self.created_at.isoformat(),
        }


ReviewHook = Callable[[Sequence[ReviewRaised]], Awaitable[None]]
HITL_TOPIC: Topic = "hitl.events.v1"


def review_publisher(bus: EventBus) -> ReviewHook:
    """``on_review`` announcing each new item on ``hitl.events.v1`` (``kind: review.created``)."""

    async def publish_reviews(items: Sequence[ReviewRaised]) -> None:
        for item in items:
            data = {"kind": "review.created", **item.as_event()}
            bus.publish(HITL_TOPIC, Event.new(HITL_TOPIC, item.tenant_id, data))

    return publish_reviews


@dataclass(slots=True)
class _Result:
    job: ScanJob
    records: list[ViolationRecord]


class GuardScanQueue:
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        max_pending: int = 10_000,
        batch_size: int = 50,
        on_review: ReviewHook | None = None,
    ):
        if max_pending < 1 or batch_size < 1:
            raise ValueError("max_pending and batch_size must be positive")
        self._sessions = sessions
        self._max_pending = max_pending
        self._batch_size = batch_size
        self.on_review = on_review  # e.g. review_publisher(bus): hitl.events.v1
        self._queue: deque[ScanJob] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._engines: OrderedDict[tuple[str | None, int], GuardEngine] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.scanned = 0
        self.dropped = 0
        self.violations = 0
        self.reviews = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._queue)

    def submit(self, job: ScanJob) -> None:
        """Queue one job (never blocks, never raises); a full queue drops its oldest job."""
        self._queue.append(job)
        self._idle.clear()
        if len(self._queue) > self._max_pending:
            self._queue.popleft()
            self._dropped(1)
        self._wake.set()

    def _dropped(self, count: int) -> None:
        before, self.dropped = self.dropped, self.dropped + count
        if before == 0 or before // 1000 != self.dropped // 1000:
            log.error("guard_scans_dropped", dropped=self.dropped, max_pending=self._max_pending)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="guard-scan-queue")

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Scan and write what is queued (for up to ``timeout_s``), then stop; the rest is dropped."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            if self._queue:
                self._dropped(len(self._queue))
                self._queue.clear()
            log.error("guard_scans_unfinished_at_shutdown", dropped=self.dropped)
        self._task = None

    async def drain(self) -> None:
        """Wait until every job queued so far is scanned and written (tests, operators)."""
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._idle.set()
                if self._stopping:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            results: list[_Result] = []
            while self._queue and len(results) < self._batch_size:
                job = self._queue.popleft()
                results.append(_Result(job, await asyncio.to_thread(self._scan, job)))
            await self._write(results)

    def _scan(self, job: ScanJob) -> list[ViolationRecord]:
        """Run the job's deferred detectors (in a worker thread); only offsets and scores come out."""
        engine = self._async_engine(job.engine)
        decision = engine.evaluate(job.texts, job.direction)
        self.scanned += 1
        for failure in decision.failures:
            log.warning(
                "guard_async_detector_failed",
                detector=failure.detector,
                error=failure.error,
                tenant_id=job.tenant_id,
                request_id=job.request_id,
            )
        return decision.violations(job.texts)

    def _async_engine(self, engine: GuardEngine) -> GuardEngine:
        """An engine running ``engine``'s deferred detectors inline, under the same policy version."""
        key = (engine.tenant_id, engine.policy.version)
        cached = self._engines.get(key)
        if cached is not None:  # versions are immutable: same version, same policy
            self._engines.move_to_end(key)
            return cached
        policy = engine.policy
        deferred = {
            name: rules.model_copy(update={"mode": RunMode.INLINE})
            for name, rules in policy.detectors.items()
            if rules.mode is RunMode.ASYNC
        }
        built = GuardEngine(
            engine.detectors.values(),
            policy.model_copy(update={"detectors": deferred}),
            tenant_id=engine.tenant_id,
            cache=engine.cache,
        )
        self._engines[key] = built
        if len(self._engines) > _ENGINE_CACHE:
            self._engines.popitem(last=False)
        return built

    async def _write(self, results: list[_Result]) -> None:
        violations = [_violation_row(r.job, record) for r in results for record in r.records]
        reviews = [review for r in results for review in _reviews(r.job, r.records)]
        if not violations:
            return
        try:
            async with self._sessions() as session:
                await session.execute(_INSERT_VIOLATIONS, violations)
                if reviews:
                    await session.execute(_INSERT_REVIEWS, [_review_row(review) for review in reviews])
                await session.commit()
        except (SQLAlchemyError, OSError) as exc:
            self.failures += 1
            log.error("guard_async_findings_unwritten", error=type(exc).__name__, violations=len(violations))
            return
        self.violations += len(violations)
        self.reviews += len(reviews)
        if reviews and self.on_review is not None:
            try:
                await self.on_review(reviews)
            except Exception:  # a plug-in boundary: publishing must not stop the worker
                log.exception("guard_review_events_failed", reviews=len(reviews))


def _violation_row(job: ScanJob, record: ViolationRecord) -> dict[str, Any]:
    return {
        "request_id": job.request_id,
        "tenant_id": job.tenant_id,
        "key_id": job.key_id,
        "created_at": job.created_at,
        "direction": record.direction.value,
        "source": record.source.value,
        "location": record.location[:200],
        "detector": record.detector,
        "type": record.type,
        "action": record.action.value,
        "shadow": record.shadow,
        "score": round(record.score, 4),
        "start": record.start,
        "end": record.end,
        "policy_version": record.policy_version,
    }


def _reviews(job: ScanJob, records: list[ViolationRecord]) -> list[ReviewRaised]:
    """One review item per detector and finding type of the request (its highest score), enforced
    findings of a tenant's request only: a person judges the request, not each span of it."""
    if job.tenant_id is None:
        return []
    best: dict[tuple[str, str], ViolationRecord] = {}
    for record in records:
        if record.shadow:
            continue
        key = (record.detector, record.type)
        if key not in best or record.score > best[key].score:
            best[key] = record
    now = datetime.now(UTC)
    return [
        ReviewRaised(
            id=new_id(),
            tenant_id=job.tenant_id,
            request_id=job.request_id,
            key_id=job.key_id,
            direction=record.direction.value,
            detector=record.detector,
            type=record.type,
            score=round(record.score, 4),
            location=record.location[:200],
            policy_version=record.policy_version,
            created_at=now,
        )
        for record in best.values()
    ]


def _review_row(review: ReviewRaised) -> dict[str, Any]:
    return {
        "id": review.id,
        "tenant_id": review.tenant_id,
        "request_id": review.request_id,
        "key_id": review.key_id,
        "direction": review.direction,
        "detector": review.detector,
        "type": review.type,
        "score": review.score,
        "location": review.location,
        "policy_version": review.policy_version,
        "status": "open",
        "note": "",
        "resolved_by": None,
        "resolved_at": None,
        "created_at": review.created_at,
    }
