"""The durable side of budgets: committed spend to ``BudgetPeriod.spent``, threshold alerts, events.

The hot path only notes what it committed (``committed``, no I/O). Every ``interval_s`` the ledger
writes, per touched period, the shared ``spent`` counter's value (an absolute figure, so replicas
writing the same period agree and a lost flush is made good by the next) and sends the alerts of
thresholds newly crossed. An alert is sent once per period across replicas: the replica that wins
the ``budget:{id}:{start}:alert:{pct}`` marker in the shared state sends it and records it in
``BudgetPeriod.alerts_sent``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.engine import SessionFactory
from trueport.db.models import BudgetPeriod, Membership, Tenant, User
from trueport.events.bus import EventBus
from trueport.events.event import Event, Topic
from trueport.jsonutil import JSONObject
from trueport.limits.budget_book import GRACE_S, ActiveBudget, from_units
from trueport.limits.budget_periods import Period
from trueport.platform.mail.mailer import MailError, OutgoingMail
from trueport.platform.mail.templates import alert_mail
from trueport.state.protocols import State

log = structlog.get_logger(__name__)

BUDGET_TOPIC: Topic = "budget.events.v1"
_MICRO = Decimal("0.000001")
_ALERTED_ROLES = ("owner", "admin")

SendMail = Callable[[OutgoingMail], Awaitable[None]]


EventSource = Callable[[], "EventBus | None"]  # the app's bus once it is open; None before or without one


def publish_budget_event(events: EventSource, kind: str, tenant_id: str | None, data: JSONObject) -> None:
    """Publish a ``budget.events.v1`` event (``kind`` in its data) on the bus, and log it."""
    log.info("budget_event", topic=BUDGET_TOPIC, kind=kind, tenant_id=tenant_id)
    bus = events()
    if bus is not None:
        bus.publish(BUDGET_TOPIC, Event.new(BUDGET_TOPIC, tenant_id, {"kind": kind, **data}))


def _no_bus() -> EventBus | None:
    return None


@dataclass(slots=True)
class _Touched:
    budget: ActiveBudget
    period: Period
    spent: int
    alerts: list[int] = field(default_factory=list)


class BudgetLedger:
    def __init__(
        self,
        sessions: SessionFactory,
        state: State,
        send_mail: SendMail | None,
        *,
        events: EventSource = _no_bus,
        interval_s: float = 1.0,
    ):
        self._events = events
        self._sessions = sessions
        self._state = state
        self._send_mail = send_mail
        self._interval_s = interval_s
        self._touched: dict[tuple[str, str], _Touched] = {}
        self._alerted: set[tuple[str, str, int]] = set()
        self._task: asyncio.Task[None] | None = None

    def committed(self, budget: ActiveBudget, period: Period, spent: int) -> None:
        """Note a period's committed spend after a commit (called on the hot path: no I/O)."""
        entry = self._touched.get((budget.id, period.label))
        if entry is None:
            self._touched[(budget.id, period.label)] = _Touched(budget, period, spent)
        else:
            entry.spent = max(entry.spent, spent)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="budget-ledger")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()  # what the last second committed

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.flush()
            except Exception:  # a background loop's boundary: log, keep the entries, try again
                log.exception("budget_ledger_flush_failed")

    async def flush(self) -> int:
        """Write the touched periods and send their new alerts; the number of periods written."""
        touched, self._touched = self._touched, {}
        if not touched:
            return 0
        for entry in touched.values():
            entry.alerts = await self._claim_alerts(entry)
        try:
            async with self._sessions() as session:
                for entry in touched.values():
                    await record_spend(session, entry.budget, entry.period, entry.spent, entry.alerts)
                await session.commit()
        except BaseException:
            for key, entry in touched.items():  # keep them for the next flush (alerts stay claimed)
                self._touched.setdefault(key, entry)
            raise
        for entry in touched.values():
            for pct in entry.alerts:
                await self._alert(entry, pct)
        return len(touched)

    async def _claim_alerts(self, entry: _Touched) -> list[int]:
        budget, claimed = entry.budget, list(entry.alerts)
        for pct in budget.thresholds:
            mark = (budget.id, entry.period.label, pct)
            if mark in self._alerted or entry.spent * 100 < pct * budget.limit:
                continue
            self._alerted.add(mark)
            ttl_s = entry.period.ttl_s(datetime.now(UTC), GRACE_S)
            if await self._state.kv.set_if_absent(
                f"budget:{budget.id}:{entry.period.label}:alert:{pct}", b"1", ttl_s
            ):
                claimed.append(pct)
        return claimed

    async def _alert(self, entry: _Touched, pct: int) -> None:
        budget = entry.budget
        spent = from_units(budget.unit, entry.spent)
        payload: JSONObject = {
            "budget_id": budget.id,
            "key_id": budget.key_id,
            "threshold_pct": pct,
            "period_start": entry.period.start.isoformat(),
            "spent": str(spent),
            "limit": budget.amount_text,
            "hard": budget.hard,
        }
        publish_budget_event(self._events, "budget.threshold_reached", budget.tenant_id, payload)
        if self._send_mail is None:
            return
        async with self._sessions() as session:
            tenant_name, recipients = await alert_recipients(session, budget.tenant_id)
        scope = "API key budget" if budget.key_id is not None else "tenant budget"
        title = f"{budget.period.value} {scope} {budget.name!r} at {pct} %".replace(" ''", "")
        lines = [
            f"Spent this period: {spent} {budget.unit.value.upper()} of {budget.amount_text}.",
            f"Period started {entry.period.start.strftime('%Y-%m-%d %H:%M')} UTC ({budget.timezone}).",
            "Requests are refused once it is exhausted." if budget.hard else "This budget only alerts.",
        ]
        for address in recipients:
            try:
                await self._send_mail(
                    alert_mail(to=address, tenant_name=tenant_name, title=title, lines=lines)
                )
            except MailError:
                log.warning("budget_alert_mail_failed", budget_id=budget.id, threshold_pct=pct)


async def alert_recipients(session: AsyncSession, tenant_id: str) -> tuple[str, list[str]]:
    """The tenant's name and its owners' and admins' addresses."""
    tenant = await session.get(Tenant, tenant_id)
    rows = await session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role.in_(_ALERTED_ROLES))
        .order_by(User.email)
    )
    return (tenant.name if tenant is not None else tenant_id), list(rows)


async def record_spend(
    session: AsyncSession, budget: ActiveBudget, period: Period, spent: int, alerts: list[int]
) -> BudgetPeriod:
    """Raise the period's durable spend to ``spent`` (never lower it) and add ``alerts``; create it if new."""
    row = await open_period(session, budget, period)
    # The column holds micro-dollars: the durable copy is the counter rounded to the micro-dollar.
    value = from_units(budget.unit, spent).quantize(_MICRO, rounding=ROUND_HALF_UP)
    row.spent = max(row.spent, value)
    if alerts:
        row.alerts_sent = sorted({*row.alerts_sent, *alerts})
    await session.flush()
    return row


async def open_period(session: AsyncSession, budget: ActiveBudget, period: Period) -> BudgetPeriod:
    """The period's row, created if missing (another replica creating it at once is not an error)."""
    query = select(BudgetPeriod).where(
        BudgetPeriod.budget_id == budget.id, BudgetPeriod.period_start == period.start
    )
    row = (await session.scalars(query)).first()
    if row is not None:
        return row
    try:
        async with session.begin_nested():
            row = BudgetPeriod(
                tenant_id=budget.tenant_id,
                budget_id=budget.id,
                period_start=period.start,
                period_end=period.end,
                spent=Decimal(0),
                alerts_sent=[],
            )
            session.add(row)
    except IntegrityError:
        row = (await session.scalars(query)).one()
    return row
