"""``trueport eval-worker``: the eval scheduler as a process of its own (or one pass, ``--once``).

Serving processes with the guard already run due suites; this command runs them where no serving
process has the guard, or from an external scheduler (``--once`` from a cron job or a Kubernetes
CronJob). It builds the installation's guard from the same settings, reloads the tenants' policies
before each pass, and publishes on the installation's event bus: with ``redis`` configured the
webhook deliverers of the other processes see its events; without it the bus is this process's own
and its events reach no webhook (a warning says so).

Route suites call a gateway: with ``--gateway-url`` the worker runs them against that running
TruePort's ``/v1/...`` over HTTP (with each suite's eval key, priced with the same catalog and the
tenants' overrides); without it, it leaves them to the serving processes, which call themselves
in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
import click
import structlog

from trueport.commandline import command_settings, config_option, exit_cleanly_on_signals
from trueport.db.engine import SessionFactory
from trueport.db.session import database
from trueport.errors import ConfigError
from trueport.events import open_event_bus
from trueport.jobs.evals import EvalScheduler
from trueport.keys.secret import key_hmac_secret
from trueport.settings import Settings
from trueport.usage.pricing import PricingCatalog, TenantPrices

if TYPE_CHECKING:
    from trueport.platform.evals.gateway_calls import EvalGateway

log = structlog.get_logger(__name__)


async def run_eval_worker(
    settings: Settings, *, once: bool, poll_s: float, gateway_url: str | None = None
) -> int:
    """Run due suites (once, or every ``poll_s``); with ``once``, how many runs were made. Route
    suites only with ``gateway_url`` (a running TruePort's base URL)."""
    if not settings.guard.enabled:
        raise ConfigError("the eval worker runs guard suites: guard.enabled must be true")
    from trueport.gateway.guarding import GuardService

    if settings.redis is None:
        log.warning("eval_worker_local_bus", hint="without redis its events reach no webhook")
    guard = await asyncio.to_thread(GuardService.from_config, settings.guard)
    try:
        async with (
            database(settings) as sessions,
            _remote_gateway(settings, sessions, gateway_url) as (gateway, prices),
        ):
            bus = await open_event_bus(settings)
            reload_policies = guard.policies_reloader(sessions)

            async def refresh() -> None:
                await reload_policies()
                if prices is not None:
                    await prices.reload()  # the tenants' price overrides, as the gateway bills

            try:
                scheduler = EvalScheduler(
                    sessions, guard, bus, poll_s=poll_s, refresh=refresh, gateway=gateway
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


@contextlib.asynccontextmanager
async def _remote_gateway(
    settings: Settings, sessions: SessionFactory, gateway_url: str | None
) -> AsyncIterator[tuple[EvalGateway | None, TenantPrices | None]]:
    if gateway_url is None:
        yield None, None
        return
    from trueport.platform.evals.gateway_calls import EvalGateway, HttpGateway

    prices = TenantPrices(PricingCatalog.load(), sessions)
    await prices.reload()
    secret = await key_hmac_secret(settings, sessions)
    async with aiohttp.ClientSession() as http:
        yield EvalGateway(HttpGateway(gateway_url, http), prices, secret), prices


@click.command("eval-worker")
@config_option
@click.option("--once", is_flag=True, help="Run the suites due now, then exit.")
@click.option("--poll-s", default=15.0, show_default=True, type=click.FloatRange(1.0, 3600.0))
@click.option(
    "--gateway-url",
    default=None,
    metavar="URL",
    help="A running TruePort (e.g. http://gateway:8000) that route suites call; without it they are "
    "left to the serving processes.",
)
def eval_worker(config_path: str | None, once: bool, poll_s: float, gateway_url: str | None) -> None:
    """Run scheduled eval suites (see docs/evals.md)."""
    settings = command_settings(config_path)
    exit_cleanly_on_signals()
    try:
        runs = asyncio.run(run_eval_worker(settings, once=once, poll_s=poll_s, gateway_url=gateway_url))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if once:
        click.echo(f"{runs} eval run(s)")
