"""``trueport recorder``: the process that keeps the books and runs the installation's background jobs.

It runs the recorder (``trueport.books.recorder``) on the configured source, keeps the tenants'
prices current (the live-config watcher), and runs the webhook deliverer (it publishes the inference
events) and, with Redis, the budget resetter for every replica. It stops on SIGTERM or SIGINT after
putting what waits in the books.

Started by ``trueport serve`` (``parent_pid``), it outlives its parent's shutdown: SIGINT (a Ctrl-C
to the whole process group) is left to the parent, and SIGTERM waits (up to ``PARENT_GRACE_S``) until
the parent is gone, so the calls the serving processes hand over while they shut down are written
too. The parent says it is done with SIGUSR1 (stop now); a parent killed outright is noticed
within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import structlog

from trueport.books.setup import recorder_of
from trueport.db.engine import create_engine, session_factory
from trueport.db.migrate import require_current_schema
from trueport.events import open_event_bus
from trueport.platform.credentials.envelope import Envelope
from trueport.platform.live import ConfigWatcher
from trueport.platform.secrets import load_platform_secrets
from trueport.settings import Settings
from trueport.state import open_state
from trueport.usage.pricing import PricingCatalog, TenantPrices

log = structlog.get_logger(__name__)

_PARENT_POLL_S = 0.5
PARENT_GRACE_S = 35.0  # uvicorn's graceful shutdown is 30 s
BACKGROUND_NICE = 10
_FIRST_BEAT_WAIT_S = 5.0


async def run_recorder(settings: Settings, *, parent_pid: int | None = None) -> None:
    """Run until told to stop (or the parent is gone), then stop cleanly."""
    if parent_pid is not None:
        # Beside the serving processes it started with, the books come second: answering is what a
        # client waits for, a record can be written a moment later. (CFS gives nice 10 about a tenth
        # of a contended core; idle cores are used in full.)
        os.nice(BACKGROUND_NICE)
    stopping = asyncio.Event()
    parent_done = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    if parent_pid is None:
        loop.add_signal_handler(signal.SIGINT, stopping.set)
    else:
        loop.add_signal_handler(signal.SIGINT, lambda: None)  # the parent stops us when it is done
        loop.add_signal_handler(signal.SIGUSR1, parent_done.set)
    async with contextlib.AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        await require_current_schema(engine)  # else one sentence saying what to run
        sessions = session_factory(engine)
        state = await open_state(settings)
        stack.push_async_callback(state.close)
        prices = TenantPrices(PricingCatalog.load(), sessions)
        watcher = ConfigWatcher(state, sessions, poll_s=settings.platform.live_config_poll_s)
        watcher.add(prices.reload)
        await watcher.start()
        stack.push_async_callback(watcher.stop)
        events = await open_event_bus(settings)
        stack.push_async_callback(events.close)
        recorder = recorder_of(settings, sessions, prices, events)
        await recorder.start()  # first: its heartbeat is what serving processes wait for
        stack.push_async_callback(recorder.stop)  # stopped last: what waits goes in the books
        with contextlib.suppress(TimeoutError):  # (a standby publishes none)
            await asyncio.wait_for(recorder.beating.wait(), _FIRST_BEAT_WAIT_S)
        # Imported once the first heartbeat is out (the imports hold the loop): they pull in the
        # control plane (a second at start), which the serving processes' readiness need not wait for.
        from trueport.jobs.budgets import BudgetResetter
        from trueport.jobs.webhooks import WebhookWorker

        secrets = await load_platform_secrets(settings, sessions)
        webhooks = WebhookWorker(
            sessions,
            events,
            Envelope(secrets.master_keys, secrets.active_master_key),
            allow_private=settings.private_upstreams_allowed,
        )
        await webhooks.start()
        stack.push_async_callback(webhooks.stop)
        if settings.redis is not None:  # the installation's resetter (serving processes run none)
            resetter = BudgetResetter(sessions, state, events=lambda: events)
            await resetter.start()
            stack.push_async_callback(resetter.stop)
        if settings.recorder.probe_port is not None:
            from trueport.books.probe import RecorderProbe

            max_lag_s = settings.records.max_lag_s
            probe = RecorderProbe(
                settings, {"recorder": lambda: recorder.health(max_lag_s), "webhook_intake": webhooks.health}
            )
            await probe.start(settings.recorder.probe_host, settings.recorder.probe_port)
            stack.push_async_callback(probe.stop)
            log.info("recorder_probe_listening", url=f"http://{settings.recorder.probe_host}:{probe.port}")
        log.info("recorder_started", handoff=settings.recorder.handoff, pid=os.getpid())
        await _wait(stopping, parent_done, parent_pid)
        log.info("recorder_stopping", calls=recorder.calls)
    log.info("recorder_stopped")


async def _wait(stopping: asyncio.Event, parent_done: asyncio.Event, parent_pid: int | None) -> None:
    """Until stopped; with a parent, until it says it is done or is gone (a SIGTERM to us waits for
    that up to ``PARENT_GRACE_S``)."""
    stop_asked: float | None = None
    loop = asyncio.get_running_loop()
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(parent_done.wait(), _PARENT_POLL_S)
        if parent_done.is_set():
            return
        if parent_pid is not None and os.getppid() != parent_pid:
            log.info("recorder_parent_gone", parent_pid=parent_pid)
            return
        if stopping.is_set():
            if parent_pid is None:
                return
            stop_asked = stop_asked if stop_asked is not None else loop.time()
            if loop.time() - stop_asked > PARENT_GRACE_S:
                return
