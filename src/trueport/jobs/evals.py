"""The eval scheduler: runs the suites whose cron schedule is due, in every serving process.

Every ``poll_s`` it looks for suites whose ``next_run_at`` has passed and claims each with a
conditional UPDATE that moves ``next_run_at`` to the schedule's next time (only the process whose
UPDATE changed the row runs it), so replicas sharing the database never run one due time twice. The
run is the same as an on-demand one (``trueport.platform.evals.service.run_suite``): a guard suite
under the tenant's guard policy (a scheduler without a guard leaves guard suites to those that have
one), a route suite through the gateway (``gateway``; a scheduler without one leaves route suites to
those that have one), stored with its history, published as
``eval.run.completed`` on ``eval.events.v1``. A run missed while no process was up happens once when one starts, not once per
missed time. Queries here span tenants (the scheduler serves them all) and live outside
``trueport.platform``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from trueport.db.engine import SessionFactory
from trueport.db.models import EvalRun, EvalSuite, utcnow
from trueport.events.bus import EventBus
from trueport.platform.evals.cron import CronError, parse_cron

if TYPE_CHECKING:
    from trueport.gateway.guarding import GuardService
    from trueport.platform.evals.gateway_calls import EvalGateway

log = structlog.get_logger(__name__)

BATCH = 20  # suites claimed per tick


class EvalScheduler:
    def __init__(
        self,
        sessions: SessionFactory,
        guard: GuardService | None,
        bus: EventBus | None,
        *,
        poll_s: float = 15.0,
        refresh: Callable[[], Awaitable[None]] | None = None,
        gateway: EvalGateway | None = None,
    ):
        """``refresh``: called before each tick (``trueport eval-worker`` reloads the tenants' policies;
        a serving process's guard is kept fresh by its live-config watcher)."""
        self._sessions = sessions
        self._refresh = refresh
        self._guard = guard
        self._bus = bus
        self._gateway = gateway
        self.poll_s = poll_s
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name="eval-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def tick(self) -> list[EvalRun]:
        if self._refresh is not None:
            await self._refresh()
        return await self.run_due()

    async def run_due(self, now: datetime | None = None) -> list[EvalRun]:
        """Claim and run every suite due at ``now``; the runs made."""
        from trueport.platform.evals.service import run_suite  # the control plane's modules: once due

        now = now or utcnow()
        conditions = [EvalSuite.next_run_at.is_not(None), EvalSuite.next_run_at <= now]
        if self._gateway is None:  # route suites are left to a process that has the gateway
            conditions.append(EvalSuite.kind != "route")
        if self._guard is None:  # guard suites are left to a process that has the guard
            conditions.append(EvalSuite.kind != "guard")
        async with self._sessions() as session:
            due = (
                await session.execute(
                    select(EvalSuite).where(*conditions).order_by(EvalSuite.next_run_at).limit(BATCH)
                )
            ).scalars()
            suites = list(due)
            session.expunge_all()
        runs = []
        for suite in suites:
            if await self._claim(suite, now):
                runs.append(
                    await run_suite(
                        self._guard,
                        self._sessions,
                        self._bus,
                        suite.tenant_id,
                        suite,
                        trigger="schedule",
                        gateway=self._gateway,
                    )
                )
                self.runs += 1
        return runs

    async def _claim(self, suite: EvalSuite, now: datetime) -> bool:
        try:
            following = parse_cron(suite.schedule or "").next_after(now)
        except CronError:  # validated when saved; never due again rather than every tick
            following = None
            log.error("eval_schedule_invalid", suite_id=suite.id)
        async with self._sessions() as session:
            result = await session.execute(
                update(EvalSuite)
                .where(EvalSuite.id == suite.id, EvalSuite.next_run_at == suite.next_run_at)
                .values(next_run_at=following)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        claimed = bool(result.rowcount == 1)  # type: ignore[attr-defined]
        return claimed and following is not None

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)  # first tick after start-up, not during it
            try:
                await self.tick()
            except (SQLAlchemyError, OSError) as exc:  # the database is away: try again next tick
                log.warning("eval_scheduler_failed", error=type(exc).__name__)
            except Exception:  # the loop's boundary: a bug in one run must not end scheduling
                log.exception("eval_scheduler_error")
