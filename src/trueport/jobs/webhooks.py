"""The webhook delivery worker: events in, signed POSTs out, retries, and the dead-letter queue.

Two loops, in every replica:

- *intake* reads the bus as a member of the ``webhooks`` group (each event reaches one replica),
  stores a ``WebhookDelivery`` per subscription of the event's tenant that wants its topic (the
  exact payload bytes, so every retry sends and signs the same body), then acknowledges. An event
  read but not stored (the process died, the database failed) stays pending on the bus and is
  claimed again after ``claim_idle_s``: deliveries are at least once, and ``webhook-id`` (the
  event's id) lets receivers drop duplicates. A batch the database refuses for anything but an
  outage is stored again one event at a time; an event that fails alone is reported to the bus
  (``Consumer.fail``) and, after ``events.max_deliveries`` deliveries, parked in the topic's
  dead-letter stream while the others flow. Stuck events are claimed only while the database
  answers, so an outage does not use up their deliveries.
- *sender* picks due deliveries from the database, leases each with a conditional UPDATE (so two
  replicas never send the same attempt), and POSTs it: a timeout, no redirects, the URL checked
  against the SSRF guard again. A 2xx delivers it; anything else schedules the next attempt with
  exponential backoff and jitter, and after ``max_attempts`` failures it is ``dead`` (the
  dead-letter queue, replayed through ``POST /webhooks/dead-letters/{id}/replay``).

Queries here span tenants (the worker serves them all) and live outside ``trueport.platform``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import structlog
from sqlalchemy import select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.dead_letters import error_text, is_transient
from trueport.db.engine import SessionFactory
from trueport.db.models import WebhookDelivery, WebhookSubscription, new_id, utcnow
from trueport.events.bus import Consumer, Delivered, EventBus
from trueport.events.event import TOPICS
from trueport.platform.credentials.egress import upstream_session
from trueport.platform.credentials.envelope import Envelope, EnvelopeError
from trueport.platform.credentials.urls import UnsafeUrl
from trueport.platform.webhooks.repository import WebhookRepository
from trueport.platform.webhooks.sealing import open_secret
from trueport.platform.webhooks.signing import signed_headers
from trueport.platform.webhooks.urls import check_webhook_url
from trueport.state.resp import ReplyError

log = structlog.get_logger(__name__)

GROUP = "webhooks"
_USER_AGENT = "TruePort-Webhooks/1"
_ERRORS = (SQLAlchemyError, OSError, TimeoutError, ReplyError)
_jitter = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``base_s * 2**(n-1)`` after the n-th failure (capped at ``max_s``), times a random 0.5-1.0 so
    that deliveries that failed together do not all come back together."""

    max_attempts: int = 5
    base_s: float = 10.0
    max_s: float = 3600.0

    def delay_s(self, failures: int) -> float:
        return float(min(self.max_s, self.base_s * 2 ** (failures - 1)) * _jitter.uniform(0.5, 1.0))


@dataclass(frozen=True, slots=True)
class _Attempt:
    delivery_id: str
    subscription: WebhookSubscription
    event_id: str
    payload: bytes
    attempts: int


class WebhookWorker:
    def __init__(
        self,
        sessions: SessionFactory,
        bus: EventBus,
        envelope: Envelope,
        *,
        allow_private: bool,
        retry: RetryPolicy | None = None,
        timeout_s: float = 10.0,
        poll_s: float = 1.0,
        batch_size: int = 50,
        claim_idle_s: float = 60.0,
    ):
        self._sessions = sessions
        self._bus = bus
        self._envelope = envelope
        self._allow_private = allow_private
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._batch_size = batch_size
        self.claim_idle_s = claim_idle_s
        self._name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self._consumer: Consumer | None = None
        self._http: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._intake_failure: tuple[float, str] | None = None  # (since, error) while intake fails
        self.bus_unreachable = False  # the last failure was the bus being away (not an error it answered)
        self.delivered = 0
        self.failed = 0
        self.dead = 0

    async def start(self) -> None:
        self._http = upstream_session(allow_private=self._allow_private)
        self._consumer = self._bus.consumer(TOPICS, GROUP, self._name)
        # Join the group now, so that events from here on are kept; a Redis that is away must not
        # hold up the start (the intake loop joins when it can).
        with contextlib.suppress(*_ERRORS):
            async with asyncio.timeout(1.0):
                await self.intake(block_s=0)
        self._tasks = [
            asyncio.create_task(self._intake_forever(), name="webhooks-intake"),
            asyncio.create_task(self._send_forever(), name="webhooks-sender"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._consumer is not None:
            await self._consumer.close()
        if self._http is not None:
            await self._http.close()

    def wake(self) -> None:
        """Look for due deliveries now (a replay, a new event) rather than at the next poll."""
        self._wake.set()

    # --- intake: bus -> deliveries ---

    async def intake(self, block_s: float, claim: bool = False) -> int:
        """Read (and, with ``claim``, take over stuck) events; store their deliveries; acknowledge."""
        assert self._consumer is not None, "start() first"
        items = (
            await self._consumer.claim(self.claim_idle_s) if claim and await self._database_answers() else []
        )
        items += await self._consumer.read(count=100, block_s=block_s)
        if not items:
            return 0
        try:
            stored = await self._store(items)
            handled: Sequence[Delivered] = items
        except Exception as exc:  # one bad event must not stop the others
            if is_transient(exc):
                raise  # the database is away: they stay pending, claimed again once it answers
            stored, handled = await self._store_each(items)
        await self._consumer.ack(handled)
        if stored:
            self.wake()
        return stored

    async def _store_each(self, items: Sequence[Delivered]) -> tuple[int, list[Delivered]]:
        """Store the events one by one: how many deliveries were stored, and the events handled. One
        that fails is reported to the bus (delivered again later, parked after the last delivery)."""
        assert self._consumer is not None
        stored, handled = 0, list[Delivered]()
        for item in items:
            try:
                stored += await self._store([item])
            except Exception as exc:
                if is_transient(exc):
                    await self._consumer.ack(handled)
                    raise
                error = error_text(exc)
                log.warning(
                    "webhooks_event_failed",
                    event_id=item.event.id,
                    message_id=item.message_id,
                    deliveries=item.deliveries,
                    error=error,
                )
                await self._consumer.fail([item], error)
                continue
            handled.append(item)
        return stored, handled

    async def _database_answers(self) -> bool:
        """Claim (and so spend a delivery of) stuck events only while they can be stored."""
        try:
            async with self._sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:
            if not is_transient(exc):
                raise
            return False
        return True

    async def _store(self, items: Sequence[Delivered]) -> int:
        count = 0
        async with self._sessions() as session:
            wanted: dict[tuple[str, str], list[WebhookSubscription]] = {}
            for item in items:
                event = item.event
                if event.tenant_id is None:
                    continue
                key = (event.tenant_id, event.topic)
                if key not in wanted:
                    wanted[key] = await WebhookRepository(session, event.tenant_id).subscribed(event.topic)
                payload = event.encode()
                for subscription in wanted[key]:
                    session.add(
                        WebhookDelivery(
                            id=new_id(),
                            tenant_id=event.tenant_id,
                            subscription_id=subscription.id,
                            event_id=event.id,
                            topic=event.topic,
                            payload=payload,
                            status="pending",
                            attempts=0,
                            next_attempt_at=utcnow(),
                        )
                    )
                    count += 1
            await session.commit()
        return count

    async def _intake_forever(self) -> None:
        last_claim = time.monotonic()
        while True:
            claim = time.monotonic() - last_claim >= self.claim_idle_s
            if claim:
                last_claim = time.monotonic()  # a failed claim waits for its turn too, not every second
            try:
                await self.intake(block_s=1.0, claim=claim)
                self._intake_failure = None
            except _ERRORS as exc:
                error = (
                    f"{type(exc).__name__} {exc.code}" if isinstance(exc, ReplyError) else type(exc).__name__
                )
                if self._intake_failure is None:
                    self._intake_failure = (time.monotonic(), error)
                self.bus_unreachable = isinstance(exc, (OSError, TimeoutError))
                log.warning("webhooks_intake_failed", error=error)
                await asyncio.sleep(1.0)

    def health(self) -> str | None:
        """None while intake reads the bus; otherwise why not (for ``/readyz``)."""
        if self._tasks and self._tasks[0].done():
            return "intake stopped"
        if self._intake_failure is None:
            return None
        since, error = self._intake_failure
        return f"intake failing for {time.monotonic() - since:.0f}s ({error})"

    # --- sender: deliveries -> receivers ---

    async def send_due(self) -> int:
        """Attempt every delivery that is due now (up to a batch); how many were attempted."""
        attempts = await self._lease_due()
        await asyncio.gather(*(self._send(attempt) for attempt in attempts))
        return len(attempts)

    async def _lease_due(self) -> list[_Attempt]:
        now = utcnow()
        lease_until = now + timedelta(seconds=self.timeout_s + 30)  # a crash mid-attempt: retried then
        leased: list[_Attempt] = []
        async with self._sessions() as session:
            due = await session.execute(
                select(WebhookDelivery, WebhookSubscription)  # tenant-scope: the worker serves every tenant
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookSubscription.active.is_(True),
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(self._batch_size)
            )
            for delivery, subscription in due.all():
                if await self._lease(session, delivery.id, delivery.next_attempt_at, lease_until):
                    leased.append(
                        _Attempt(
                            delivery.id, subscription, delivery.event_id, delivery.payload, delivery.attempts
                        )
                    )
            await session.commit()
        return leased

    @staticmethod
    async def _lease(session: AsyncSession, delivery_id: str, due: datetime | None, until: datetime) -> bool:
        result = await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at == due,
            )
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def _send(self, attempt: _Attempt) -> None:
        status, error = await self._post(attempt)
        failures = attempt.attempts + 1
        values: dict[str, object] = {"attempts": failures, "last_status": status, "last_error": error}
        if error is None:
            values.update(status="delivered", delivered_at=utcnow(), next_attempt_at=None)
            self.delivered += 1
        elif failures >= self.retry.max_attempts:
            values.update(status="dead", next_attempt_at=None)
            self.dead += 1
            log.warning(
                "webhook_delivery_dead", delivery_id=attempt.delivery_id, attempts=failures, error=error
            )
        else:
            values["next_attempt_at"] = utcnow() + timedelta(seconds=self.retry.delay_s(failures))
            self.failed += 1
        try:
            async with self._sessions() as session:
                await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id == attempt.delivery_id)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                await session.commit()
        except SQLAlchemyError as exc:  # the lease expires and the attempt is made again
            log.warning(
                "webhook_delivery_unrecorded", delivery_id=attempt.delivery_id, error=type(exc).__name__
            )

    async def _post(self, attempt: _Attempt) -> tuple[int | None, str | None]:
        """The receiver's HTTP status and, unless it was a 2xx, what went wrong."""
        assert self._http is not None, "start() first"
        subscription = attempt.subscription
        try:
            secret = open_secret(self._envelope, subscription)
            url = await check_webhook_url(subscription.url, allow_private=self._allow_private)
        except EnvelopeError:
            return None, "the signing secret cannot be opened"
        except UnsafeUrl as exc:
            return None, str(exc)[:500]
        headers = {
            "content-type": "application/json",
            "user-agent": _USER_AGENT,
            **signed_headers(secret, attempt.event_id, attempt.payload),
        }
        try:
            async with self._http.post(
                url,
                data=attempt.payload,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as response:
                status = response.status
        except TimeoutError:
            return None, f"no answer within {self.timeout_s:g} s"
        except (aiohttp.ClientError, OSError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        return status, None if 200 <= status < 300 else f"HTTP {status}"

    async def _send_forever(self) -> None:
        while True:
            try:
                attempted = await self.send_due()
            except _ERRORS as exc:
                log.warning("webhooks_send_failed", error=type(exc).__name__)
                attempted = 0
            if attempted < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_s):
                        await self._wake.wait()
                self._wake.clear()
