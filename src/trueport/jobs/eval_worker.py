"""``trueport eval-worker``: the eval scheduler as a process of its own (or one pass, ``--once``).

Serving processes with the guard already run due suites; this command runs them where no serving
process has the guard, or from an external scheduler (``--once`` from a cron job or a Kubernetes
CronJob). It builds the installation's guard from the same settings, reloads the tenants' policies
before each pass, and publishes on the installation's event bus: with ``redis`` configured the
webhook deliverers of the other processes see its events; without it the bus is this process's own
and its events reach no webhook (a warning says so).
"""

from __future__ import annotations

import asyncio

import click
import structlog

from trueport.commandline import command_settings, config_option, exit_cleanly_on_signals
from trueport.db.session import database
from trueport.errors import ConfigError
from trueport.events import open_event_bus
from trueport.jobs.evals import EvalScheduler
from trueport.settings import Settings

log = structlog.get_logger(__name__)


async def run_eval_worker(settings: Settings, *, once: bool, poll_s: float) -> int:
    """Run due suites (once, or every ``poll_s``); with ``once``, how many runs were made."""
    if not settings.guard.enabled:
        raise ConfigError("the eval worker runs guard suites: guard.enabled must be true")
    from trueport.gateway.guarding import GuardService

    if settings.redis is None:
        log.warning("eval_worker_local_bus", hint="without redis its events reach no webhook")
    guard = await asyncio.to_thread(GuardService.from_config, settings.guard)
    try:
        async with database(settings) as sessions:
            bus = await open_event_bus(settings)
            try:
                scheduler = EvalScheduler(
                    sessions, guard, bus, poll_s=poll_s, refresh=guard.policies_reloader(sessions)
                )
                if once:
                    runs = await scheduler.tick()
                    await bus.flush()
                    return len(runs)
                await scheduler.start()
                try:
                    await asyncio.Event().wait()  # until a signal stops the process
                finally:
                    await scheduler.stop()
                    await bus.flush()
                return scheduler.runs
            finally:
                await bus.close()
    finally:
        guard.close()


@click.command("eval-worker")
@config_option
@click.option("--once", is_flag=True, help="Run the suites due now, then exit.")
@click.option("--poll-s", default=15.0, show_default=True, type=click.FloatRange(1.0, 3600.0))
def eval_worker(config_path: str | None, once: bool, poll_s: float) -> None:
    """Run scheduled eval suites (see docs/evals.md)."""
    settings = command_settings(config_path)
    exit_cleanly_on_signals()
    try:
        runs = asyncio.run(run_eval_worker(settings, once=once, poll_s=poll_s))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if once:
        click.echo(f"{runs} eval run(s)")
