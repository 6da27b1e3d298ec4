"""The recorder process's own HTTP endpoints (``recorder.probe_port``): health and metrics.

The recorder serves no API, yet an orchestrator needs a liveness and readiness probe for it and
Prometheus needs its metrics: the books writer's errors, the dead letters and webhook deliveries it
counts live in this process, not in the serving processes' ``/metrics``.

- ``GET /healthz``: 200 while the process answers.
- ``GET /readyz``: 200 ``{"status": "ready", "checks": {...}}`` while the books are kept (the
  recorder runs and has not failed to write for ``records.max_lag_s``) and the webhook intake reads;
  503 with the same document otherwise.
- ``GET /metrics``: the process's Prometheus registry, under the same rule as the serving
  processes' (``Authorization: Bearer <admin_token>``, or open with ``metrics.public: true``; 403
  while neither is configured).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from trueport.metrics import REGISTRY
from trueport.settings import Settings

Check = Callable[[], str | None]  # None: healthy; else what is wrong, in a few words
_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-store"}


class RecorderProbe:
    def __init__(self, settings: Settings, checks: dict[str, Check]):
        self._settings = settings
        self._checks = checks
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the bound port (``port`` 0: a free one)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, headers=_HEADERS)

    async def _readyz(self, _: web.Request) -> web.Response:
        problems = {name: check() for name, check in self._checks.items()}
        ready = all(problem is None for problem in problems.values())
        body = {
            "status": "ready" if ready else "not_ready",
            "checks": {name: problem or "ok" for name, problem in problems.items()},
        }
        return web.json_response(body, status=200 if ready else 503, headers=_HEADERS)

    async def _metrics(self, request: web.Request) -> web.Response:
        if not self._settings.metrics.public:
            token = self._settings.admin_token
            if token is None:  # the serving processes' codes and messages
                return _error(403, "unauthorized", "set admin_token to enable this API")
            presented = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(presented, b"Bearer " + token.get_secret_value().encode()):
                return _error(401, "unauthorized", "admin token required")
        return web.Response(
            body=generate_latest(REGISTRY), headers={"content-type": CONTENT_TYPE_LATEST, **_HEADERS}
        )


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=_HEADERS)
