"""Data-plane calls as audit events: one per authenticated call, durable before a 2xx answer ends.

``run_audited`` wraps the data-plane handler and puts a ``CallAudit`` in the ASGI scope; the
``Call`` the handler builds binds to it and sends through it. When the answer's last body message
goes out with a 2xx status, the event is built from the call's record and *awaited* into the log
(committed, or fsync'd in the spool) before that message is sent: a client that received a complete
2xx answer can rely on its event existing, even if the process is killed the next instant. A call
that ends any other way (refused, failed, client gone) is appended without waiting, when the
handler returns. Calls refused before the key was known (no tenant) are not audited: they belong
to no tenant and the request records keep them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

import structlog

from trueport.audit.canonical import MAX_SAFE_INTEGER
from trueport.audit.events import (
    DataPlaneEvent,
    GuardAction,
    LimitDecision,
    Outcome,
    RegionPinning,
    TargetAttempt,
    Usage,
)
from trueport.audit.service import AuditTrail
from trueport.gateway.asgi import Headers, Message, Scope, Send
from trueport.usage.pricing import TenantPrices
from trueport.usage.records import RequestRecordData

log = structlog.get_logger(__name__)

SCOPE_KEY = "trueport.audit"
_LIMIT_PREFIX = b"x-ratelimit-limit-"
_REMAINING_PREFIX = b"x-ratelimit-remaining-"
_GUARD_ACTIONS: dict[object, Literal["allowed", "flagged", "redacted", "blocked"]] = {
    "block": "blocked",
    "redact": "redacted",
    "flag": "flagged",
    "off": "allowed",
}
_LIMIT_ERRORS = {"RateLimited", "BudgetExceeded"}


class AuditSink(Protocol):
    """Where a call's audit goes: ``DataPlaneAudit`` (events straight into the audit log) or the
    books' intake (``trueport.books.intake``: the call's line, for the recorder)."""

    async def answered(
        self, record: RequestRecordData, headers: Headers, status: int, started: float
    ) -> None:
        """The last bytes of a 2xx answer are about to go: return once its audit is durable."""
        ...

    def finished(self, record: RequestRecordData, headers: Headers, status: int) -> None:
        """The call ended without a 2xx answer's last bytes (refused, failed, cut): log it, no wait."""
        ...


class DataPlaneAudit:
    """What every call's audit shares: the trail and the price list."""

    def __init__(self, trail: AuditTrail, pricing: TenantPrices):
        self.trail = trail
        self.pricing = pricing  # the record writer's: tenants' negotiated prices over the catalog

    def event(self, record: RequestRecordData, headers: Headers, status: int) -> DataPlaneEvent:
        return dataplane_event(record, headers, status, self.pricing)

    async def answered(
        self, record: RequestRecordData, headers: Headers, status: int, started: float
    ) -> None:
        try:
            event = self.event(record, headers, status)
        except ValueError:  # no valid event: a bug here, never a reason to cut the client's answer
            log.exception("audit_event_unbuildable", request_id=record.id)
            return
        await self.trail.record(event)

    def finished(self, record: RequestRecordData, headers: Headers, status: int) -> None:
        try:
            self.trail.append(self.event(record, headers, status))
        except ValueError:  # an event with no canonical form: a bug here, never the client's fault
            log.exception("audit_event_unbuildable", request_id=record.id)


def dataplane_event(
    record: RequestRecordData,
    headers: Iterable[tuple[bytes, bytes]],
    status: int,
    pricing: TenantPrices,
    *,
    event_id: str | None = None,
    ts: datetime | None = None,
) -> DataPlaneEvent:
    """A call's audit event, priced with the tenant's prices. ``event_id`` and ``ts`` default to a
    new id and now; the recorder gives the request's id and the answer's time (so that a call it reads
    twice is one event)."""
    cost, version = None, None
    if record.upstream_model is not None and record.served_from is None:
        priced = pricing.cost(
            record.tenant_id,
            record.upstream_model,
            record.prompt_tokens,
            record.completion_tokens,
            record.cached_tokens,
        )
        cost, version = priced if priced is not None else (None, None)
    identity: dict[str, Any] = {}
    if event_id is not None:
        identity["event_id"] = event_id
    if ts is not None:
        identity["ts"] = ts
    return DataPlaneEvent(
        **identity,
        tenant_id=record.tenant_id,
        request_id=record.id,
        key_id=record.key_id,
        endpoint=record.endpoint,
        model=record.alias,
        stream=record.stream,
        targets=_targets(record, status),
        limits=_limits(headers, record.error_class),
        guard=[action for action in map(_guard_action, record.violations) if action is not None],
        usage=Usage(  # counts are checked where they enter (usage.upstream); clamped here regardless
            prompt_tokens=_count(record.prompt_tokens),
            completion_tokens=_count(record.completion_tokens),
            cached_tokens=_count(record.cached_tokens),
        ),
        cost_usd=cost,
        pricing_version=version,
        outcome=Outcome(
            status_code=status,
            error_class=record.error_class,
            fallback=record.fallback,
            served_from=record.served_from,
            latency_ms=round(record.latency_ms, 3) if record.latency_ms else None,
        ),
        trace_id=record.trace_id,
        regions=(
            RegionPinning(allowed=record.allowed_regions, served=record.region)
            if record.allowed_regions is not None
            else None
        ),
    )


class CallAudit:
    """One call's audit: ``wrap`` its ``send``, ``bind`` its record; ``finish`` when the handler returns."""

    def __init__(self, sink: AuditSink):
        self._sink = sink
        self._record: RequestRecordData | None = None
        self._headers: Headers = []
        self._status = 0
        self._started = 0.0
        self._finishers: list[Callable[[], None]] = []
        self.done = False

    def bind(
        self,
        record: RequestRecordData,
        headers: Headers,
        started: float,
        finishers: list[Callable[[], None]] | None = None,
    ) -> None:
        """``finishers`` complete the record before a 2xx answer's audit is taken (stream findings)."""
        self._record = record
        self._headers = headers
        self._started = started
        self._finishers = finishers if finishers is not None else []

    def wrap(self, send: Send) -> Send:
        async def audited_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await self._answered()
            await send(message)

        return audited_send

    async def _answered(self) -> None:
        """The last body message is about to go: a 2xx waits for its audit to be durable."""
        record = self._record
        if self.done or record is None or record.tenant_id is None or not 200 <= self._status < 300:
            return
        self.done = True
        for finish in self._finishers:
            finish()
        await self._sink.answered(record, self._headers, self._status, self._started)

    def finish(self) -> None:
        """The handler returned: log the call if its answer did not (refusals, failures, cut streams)."""
        record = self._record
        if self.done or record is None or record.tenant_id is None:
            return
        self.done = True
        self._sink.finished(record, self._headers, record.status_code or self._status)


async def run_audited(sink: AuditSink | None, scope: Scope, handle: Callable[[], Awaitable[None]]) -> None:
    """Run a data-plane handler with its ``CallAudit`` in the scope (see the module docstring)."""
    if sink is None:
        await handle()
        return
    call_audit = CallAudit(sink)
    scope[SCOPE_KEY] = call_audit
    try:
        await handle()
    finally:
        call_audit.finish()


def call_audit_of(scope: Scope) -> CallAudit | None:
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, CallAudit) else None


def _targets(record: RequestRecordData, status: int) -> list[TargetAttempt]:
    """``targets_tried`` labels (``provider[@owner]/model``) in order; the last one answered a 2xx."""
    attempts: list[TargetAttempt] = []
    last = len(record.targets_tried) - 1
    for position, label in enumerate(record.targets_tried):
        provider_part, _, model = label.partition("/")
        answered = position == last and 200 <= status < 300
        attempts.append(
            TargetAttempt(
                provider=provider_part.split("@", 1)[0],
                model=model,
                outcome="ok" if answered else "error",
            )
        )
    return attempts


def _limits(headers: Iterable[tuple[bytes, bytes]], error_class: str | None) -> list[LimitDecision]:
    """The rate limits the call was admitted under (from its ``x-ratelimit-*`` headers), or refused by."""
    limits: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    for name, value in headers:
        for prefix, slot in ((_LIMIT_PREFIX, 0), (_REMAINING_PREFIX, 1)):
            if name.startswith(prefix):
                unit = name[len(prefix) :].decode("latin-1")
                pair = list(limits.get(unit, (None, None)))
                pair[slot] = _decimal(value)
                limits[unit] = (pair[0], pair[1])
    refused = error_class in _LIMIT_ERRORS
    decisions = [
        LimitDecision(
            name=f"key.{unit}",
            decision="limited" if refused else "allowed",
            limit=limit,
            used=limit - remaining if limit is not None and remaining is not None else None,
            unit=unit,
        )
        for unit, (limit, remaining) in sorted(limits.items())
    ]
    if refused and not decisions:
        decisions.append(LimitDecision(name=error_class or "limit", decision="limited"))
    return decisions


def _count(tokens: int) -> int:
    return min(max(tokens, 0), MAX_SAFE_INTEGER)


def _decimal(value: bytes) -> Decimal | None:
    try:
        number = Decimal(value.decode("latin-1"))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _guard_action(finding: dict[str, Any]) -> GuardAction | None:
    """A guard finding without its location details: detector, type, direction, action, offsets."""
    direction = finding.get("direction")
    if direction not in ("input", "output"):
        return None
    action = "flagged" if finding.get("shadow") else _GUARD_ACTIONS.get(finding.get("action"), "flagged")
    start, end, score = finding.get("start"), finding.get("end"), finding.get("score")
    return GuardAction(
        detector=str(finding.get("detector", "")),
        type=str(finding.get("type", "")),
        direction=direction,
        action=action,
        score=float(score) if isinstance(score, int | float) else 0.0,
        start=start if isinstance(start, int) else None,
        end=end if isinstance(end, int) else None,
    )
