"""The ASGI application: ``create_app(settings)`` builds it; its lifespan opens and closes everything.

Nothing connects at import time. The data plane (``/v1/...``) is served by plain ASGI handlers;
``/healthz`` and ``/readyz`` answer here.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from trueport import tracing
from trueport.audit.dataplane import run_audited
from trueport.audit.service import AuditTrail
from trueport.books.setup import background_jobs_here, handoff_of, intake_of, recorder_in_process, recorder_of
from trueport.console.serving import Console, is_console
from trueport.db.engine import create_engine, session_factory
from trueport.db.migrate import require_current_schema
from trueport.errors import RouteNotFound
from trueport.events import open_event_bus
from trueport.flags.evaluator import Flags
from trueport.gateway.asgi import JSON_HEADERS, SECURITY_HEADERS, Message, Receive, Scope, Send, send_body
from trueport.gateway.dispatch import handle_data_plane, is_data_plane
from trueport.gateway.error_shapes import openai_error
from trueport.gateway.gateway import Gateway
from trueport.gateway.guard_queue import GuardScanQueue, review_publisher
from trueport.gateway.guarding import GuardService
from trueport.gateway.resilience import open_resilience
from trueport.gateway.router import Router
from trueport.gateway.tenant_routing import TenantRouting
from trueport.jobs.budgets import open_budgets
from trueport.jsonutil import dumps
from trueport.keys.cache import KeyCache
from trueport.keys.secret import key_hmac_secret
from trueport.limits.ratelimit import Limiter
from trueport.logging import configure_logging
from trueport.metrics import REQUESTS_IN_FLIGHT
from trueport.operations import (
    admin_allowed,
    metrics,
    provider_status,
    readiness,
    send_control_error,
    send_json,
)
from trueport.platform.core import Platform, open_platform
from trueport.platform.deferred import DeferredControlPlane
from trueport.platform.live import ConfigWatcher
from trueport.platform.web import with_security_headers
from trueport.providers.registry import build_adapters
from trueport.settings import Settings, load_settings_from_env, missing_env_vars
from trueport.state import open_state
from trueport.usage.pricing import PricingCatalog, TenantPrices

if TYPE_CHECKING:
    from trueport.jobs.evals import EvalScheduler
    from trueport.jobs.webhooks import WebhookWorker

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Resources:
    """What the lifespan opened, to be closed in reverse."""

    engine: AsyncEngine
    http: aiohttp.ClientSession
    gateway: Gateway
    platform: Platform
    control: DeferredControlPlane
    watcher: ConfigWatcher
    audit: AuditTrail
    webhooks: WebhookWorker | None = None
    evals: EvalScheduler | None = None  # scheduled eval suites


class TruePortApp:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.resources: Resources | None = None
        self.console = Console()
        self._closing = contextlib.AsyncExitStack()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    @property
    def gateway(self) -> Gateway:
        if self.resources is None:
            raise RuntimeError("the app has not started")
        return self.resources.gateway

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if is_data_plane(path):
            gateway = self.gateway
            with tracing.server_span(scope["headers"], "gateway.call"):
                await run_audited(
                    gateway.audit, scope, lambda: handle_data_plane(gateway, scope, receive, send)
                )
        elif path == "/healthz":
            await send_json(send, 200, {"status": "ok"})
        elif path == "/readyz":
            resources = self.resources
            status, body = await readiness(
                resources.engine if resources else None,
                resources.gateway if resources else None,
                resources.webhooks if resources else None,
                resources.audit.log if resources else None,
            )
            if resources is not None:
                body["config_generation"] = resources.watcher.applied
            await send_json(send, status, body)
        elif path in ("/metrics", "/api/v1/providers/status"):
            await self._operator(path, scope, send)
        elif path.startswith("/api/") and self.resources is not None:
            await self.resources.control(scope, receive, send)
        elif is_console(path):
            await self.console(scope, receive, send)
        else:
            error = RouteNotFound(f"unknown endpoint {scope['method']} {path}")
            await send_body(send, 404, openai_error(error), [*JSON_HEADERS, *SECURITY_HEADERS])

    async def _operator(self, path: str, scope: Scope, send: Send) -> None:
        allowed = admin_allowed(self.settings, scope)
        if path == "/metrics" and self.settings.metrics.public:
            await metrics(send)
            return
        if path.startswith("/api/"):
            send = with_security_headers(send)  # the control plane's, as on every other /api response
        if not allowed:
            message = "admin token required" if allowed is False else "set admin_token to enable this API"
            await send_control_error(send, 401 if allowed is False else 403, "unauthorized", message)
        elif path == "/metrics":
            await metrics(send)
        else:
            await provider_status(self.gateway, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message: Message = await receive()
        if message["type"] != "lifespan.startup":
            return
        try:
            await self.startup()
        except Exception as exc:
            log.exception("startup_failed")
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        try:
            await self.shutdown()
        finally:
            await send({"type": "lifespan.shutdown.complete"})

    async def startup(self) -> None:
        """Open everything the data plane needs; on any failure, close what was opened and re-raise."""
        settings = self.settings
        for name in missing_env_vars(settings):
            log.warning("config_env_var_unset", variable=name)
        async with contextlib.AsyncExitStack() as stack:
            if settings.tracing.enabled and not tracing.active():  # (a test may have set its own exporter)
                tracing.configure(settings.tracing)
                stack.callback(tracing.shutdown)  # last: spans of the calls that drained are flushed
            engine = create_engine(settings.database_url)
            stack.push_async_callback(engine.dispose)
            await require_current_schema(engine)  # else one sentence saying what to run
            sessions = session_factory(engine)
            audit = await AuditTrail.open(settings, sessions)
            await audit.start()
            stack.push_async_callback(audit.stop)  # stops after all that appends: queued events are written
            keys = KeyCache(
                sessions, await key_hmac_secret(settings, sessions), settings.key_refresh_interval_s
            )
            await keys.start()
            stack.push_async_callback(keys.stop)
            http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=30),
                json_serialize=lambda value: dumps(value).decode(),
            )
            stack.push_async_callback(http.close)
            prices = TenantPrices(
                PricingCatalog.load(), sessions
            )  # tenants' overrides: loaded by the watcher
            recorder = None
            if recorder_in_process(settings):  # else a recorder process keeps the books (trueport recorder)
                recorder = recorder_of(settings, sessions, prices, events=None)
                await recorder.start()
                stack.push_async_callback(recorder.stop)  # after the hand-off stopped: it drains it
            handoff = handoff_of(settings)
            await handoff.start()
            stack.push_async_callback(handoff.stop)
            records = intake_of(settings, handoff, prices, recorder)
            state = await open_state(settings)
            stack.push_async_callback(state.close)
            resilience = await open_resilience(settings, stack)
            router = Router.from_settings(settings, build_adapters(settings, http))
            routing = TenantRouting(router, settings)  # tenants' own routes: loaded once the platform is open
            stack.push_async_callback(routing.close)
            guard = None
            if settings.guard.enabled:
                guard = await asyncio.to_thread(GuardService.from_config, settings.guard)
                stack.callback(guard.close)
                await guard.reload_policies(sessions)  # tenants' own policies
                guard.scans = GuardScanQueue(sessions)  # async detectors, off the hot path
                await guard.scans.start()
                stack.push_async_callback(guard.scans.stop)
            gateway = Gateway(
                settings=settings,
                routing=routing,
                keys=keys,
                limiter=Limiter(state, settings.limits),
                records=records,
                state=state,
                resilience=resilience,
                guard=guard,
                audit=records,  # a 2xx answer's last bytes wait for its call to be durable
                flags=Flags(settings.flags),  # stored rules: loaded by the watcher
            )
            platform = await open_platform(settings, sessions, state, audit=audit)
            await routing.start(sessions, platform.envelope)
            watcher = ConfigWatcher(state, sessions, poll_s=settings.platform.live_config_poll_s)
            watcher.add(keys.refresh)
            watcher.add(routing.reload)
            watcher.add(records.prices.reload)
            watcher.add(gateway.flags.reloader(sessions))
            gateway.budgets = await open_budgets(
                settings,
                sessions,
                state,
                platform.mailer,
                stack,
                events=lambda: gateway.events,
                prices=records.prices,
                resetter=background_jobs_here(settings),
            )
            watcher.add(gateway.budgets.book.reloader(sessions, state))
            if guard is not None:
                watcher.add(guard.policies_reloader(sessions))
            await watcher.start()
            stack.push_async_callback(watcher.stop)
            gateway.flags.start(sessions)  # and every 30 s, whatever the generation says
            stack.push_async_callback(gateway.flags.stop)
            gateway.events = await open_event_bus(settings)
            stack.push_async_callback(gateway.events.close)
            platform.events = gateway.events  # /api/v1/admin/bus/dead-letters
            platform.guard = guard  # eval runs (/api/v1/evals), /api/v1/policies/try
            if gateway.resilience is not None:
                platform.breakers = gateway.resilience.breakers  # /api/v1/admin/providers/health
            if recorder is not None:
                recorder.events = gateway.events  # inference.events.v1
            webhooks = None
            if background_jobs_here(settings):
                from trueport.jobs.webhooks import WebhookWorker  # (pulls in the control plane's API)

                webhooks = WebhookWorker(
                    sessions,
                    gateway.events,
                    platform.envelope,
                    allow_private=settings.private_upstreams_allowed,
                )
                await webhooks.start()
                stack.push_async_callback(webhooks.stop)
            from trueport.platform.evals.gateway_calls import EvalGateway, InProcessGateway

            # Route eval suites call this very app in-process: the data plane's whole path.
            platform.eval_gateway = EvalGateway(InProcessGateway(self), records.prices, platform.key_secret)
            from trueport.jobs.evals import EvalScheduler  # the platform's modules: not at import

            # Guard suites where the guard is enabled, route suites everywhere.
            evals = EvalScheduler(sessions, guard, gateway.events, gateway=platform.eval_gateway)
            await evals.start()
            stack.push_async_callback(evals.stop)
            if guard is not None and guard.scans is not None:
                guard.scans.on_review = review_publisher(gateway.events)  # hitl.events.v1
                # Drained again here, first at shutdown, while the bus is still open (stop is idempotent).
                stack.push_async_callback(guard.scans.stop)
            REQUESTS_IN_FLIGHT.set_function(lambda: gateway.active_calls)  # read when scraped
            self._closing = stack.pop_all()
        self.resources = Resources(
            engine=engine,
            http=http,
            gateway=gateway,
            platform=platform,
            control=DeferredControlPlane(platform),
            watcher=watcher,
            audit=audit,
            webhooks=webhooks,
            evals=evals,
        )
        log.info(
            "gateway_started",
            models=len(settings.models),
            providers=len(settings.providers),
            keys=keys.size,
            guard=guard is not None,
        )
        # What start-up built lives as long as the process: out of the cyclic collector's way, so its
        # full collections (set off by the calls' own short-lived objects) stop walking ~200,000
        # objects each time (~10 % of a call's CPU: bench/serving_path.py).
        gc.collect()
        gc.freeze()

    async def shutdown(self) -> None:
        """Stop taking work, write what is queued (records), close connections: reverse start order."""
        resources, self.resources = self.resources, None
        if resources is None:
            return
        await self._closing.aclose()
        gc.unfreeze()  # what start-up built may be collected again (tests start many apps)
        gateway = resources.gateway
        log.info(
            "gateway_stopped",
            records_written=gateway.records.written,
            records_dropped=gateway.records.dropped,
        )


async def _json(send: Send, status: int, body: dict[str, object]) -> None:
    await send_body(send, status, dumps(body), [*JSON_HEADERS, *SECURITY_HEADERS])


def create_app(settings: Settings) -> TruePortApp:
    return TruePortApp(settings)


def create_app_from_env() -> TruePortApp:
    """The factory ``serve --workers N`` gives uvicorn: each worker loads the config itself."""
    settings = load_settings_from_env()
    configure_logging(settings.log_level, settings.log_format)
    return TruePortApp(settings)
