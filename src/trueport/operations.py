"""Endpoints for operators: readiness, Prometheus metrics and provider (breaker) status.

``/metrics`` and ``/api/v1/providers/status`` need ``Authorization: Bearer <admin_token>``; without
an ``admin_token`` both are refused (403), unless ``metrics.public: true`` opens ``/metrics`` to
anyone. Errors here use the control plane's shape: ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from trueport.gateway.asgi import JSON_HEADERS, SECURITY_HEADERS, Scope, Send, header, send_body
from trueport.gateway.gateway import Gateway
from trueport.jsonutil import JSONObject, dumps
from trueport.limits.breaker_store import FallbackBreakerStore
from trueport.limits.status import providers_status
from trueport.metrics import REGISTRY
from trueport.settings import Settings

if TYPE_CHECKING:
    from trueport.guard.backends import ModelsHealth

_READY_TIMEOUT_S = 2.0


async def send_json(send: Send, status: int, body: JSONObject) -> None:
    await send_body(send, status, dumps(body), [*JSON_HEADERS, *SECURITY_HEADERS])


async def send_control_error(send: Send, status: int, code: str, message: str) -> None:
    await send_json(send, status, {"error": {"code": code, "message": message}})


def admin_allowed(settings: Settings, scope: Scope) -> bool | None:
    """True/False for a configured token; None when no admin token is configured."""
    if settings.admin_token is None:
        return None
    presented = header(scope, b"authorization") or b""
    expected = b"Bearer " + settings.admin_token.get_secret_value().encode()
    return hmac.compare_digest(presented, expected)


class WebhookIntake(Protocol):
    bus_unreachable: bool

    def health(self) -> str | None: ...


class WriterHealth(Protocol):
    def health(self, max_lag_s: float) -> str | None: ...


async def readiness(
    engine: AsyncEngine | None,
    gateway: Gateway | None,
    webhooks: WebhookIntake | None = None,
    audit_log: WriterHealth | None = None,
) -> tuple[int, JSONObject]:
    """200 "ready" or "degraded" (serving on local limits/breakers while Redis is away); 503 otherwise.

    ``webhooks``: the webhook worker, whose intake must be reading the event bus. Failing while the
    bus answers (an error that does not pass, as ``NOGROUP`` did) is not ready; failing because Redis
    is away is "degraded", as the shared state is: every replica is in the same position then.
    """
    checks: dict[str, str] = {"configuration": "ok" if gateway is not None else "not loaded"}
    if engine is not None:
        try:
            async with asyncio.timeout(_READY_TIMEOUT_S), engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
    else:
        checks["database"] = "not connected"
    if gateway is not None:
        checks.update(await writer_checks(gateway, audit_log))
    models = await _guard_models(gateway)
    if models is not None and models.failing:
        checks["guard_models"] = models.check
    intake = webhooks.health() if webhooks is not None else None
    intake_away = intake is not None and webhooks is not None and webhooks.bus_unreachable
    if webhooks is not None:
        checks["webhook_intake"] = "ok" if intake is None or intake_away else intake
    if gateway is None or any(value != "ok" for value in checks.values()):
        return 503, {"status": "not ready", "checks": checks}
    degraded = []
    if models is not None:
        checks["guard_models"] = models.check  # the backend the guard's models run on
        if models.degraded:
            degraded.append("guard_models")
    if intake_away:
        checks["webhook_intake"] = f"degraded ({intake})"
        degraded.append("webhook_intake")
    if gateway.state.shared:
        checks["shared_state"] = "degraded (local limits)" if gateway.state.degraded else "ok"
        if gateway.state.degraded:
            degraded.append("shared_state")
    breakers = gateway.resilience.breakers if gateway.resilience is not None else None
    store = getattr(breakers, "_store", None)
    if isinstance(store, FallbackBreakerStore):
        checks["breakers"] = "degraded (local state)" if store.degraded else "ok"
        if store.degraded:
            degraded.append("breakers")
    return 200, {"status": "degraded" if degraded else "ready", "checks": checks}


async def _guard_models(gateway: Gateway | None) -> ModelsHealth | None:
    """The guard's models: ``local``, or ``triton`` (ready; degraded while the local models answer
    for it; not ready when it is away and nothing falls back). None without model detectors."""
    guard = gateway.guard if gateway is not None else None
    if guard is None or guard.models is None:
        return None
    from trueport.guard.backends import models_health  # loaded already: the detectors use it

    return await models_health(guard.models)


async def writer_checks(gateway: Gateway, audit_log: WriterHealth | None = None) -> dict[str, str]:
    """The books: "ok", or why not (stopped, or behind by ``records.max_lag_s``).

    ``call_handoff``: this process's hand-off of finished calls (nothing made durable for that long:
    the spool's disk or the Redis stream fails). ``recorder``: the recorder keeping the books, in this
    process or another (its heartbeat): not running, or failing to write for that long. ``audit_writer``:
    this process's log of control-plane changes. A replica whose books are not being kept is not
    ready, so that traffic goes where they are.
    """
    max_lag = gateway.settings.records.max_lag_s
    checks = {
        "call_handoff": gateway.records.health(max_lag) or "ok",
        "recorder": await gateway.records.recorder_health(max_lag) or "ok",
    }
    if audit_log is not None:
        checks["audit_writer"] = audit_log.health(max_lag) or "ok"
    return checks


async def metrics(send: Send) -> None:
    body = generate_latest(REGISTRY)
    headers = [(b"content-type", CONTENT_TYPE_LATEST.encode()), *SECURITY_HEADERS]
    await send_body(send, 200, body, headers)


async def provider_status(gateway: Gateway, send: Send) -> None:
    breakers = gateway.resilience.breakers if gateway.resilience is not None else None
    if breakers is None:
        await send_json(send, 200, {"backend": "none", "breakers": []})
        return
    await send_json(send, 200, await providers_status(breakers))
