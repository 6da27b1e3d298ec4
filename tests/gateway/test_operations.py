"""Operator endpoints: readiness, metrics and provider status behind the admin token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.gateway.harness import RunningGateway, gateway_settings, start_gateway

from support.migrated import upgrade_empty_to_head
from trueport.mockprovider import MockProvider
from trueport.settings import async_database_url


@pytest.fixture
async def operated(sqlite_database_url: str, mock: MockProvider) -> AsyncIterator[str]:
    settings = gateway_settings(sqlite_database_url, mock.url, admin_token="operator-token-0123456789")
    await asyncio.to_thread(upgrade_empty_to_head, async_database_url(sqlite_database_url))
    server, task, url = await start_gateway(settings)
    try:
        yield url
    finally:
        server.should_exit = True
        await task


async def test_readiness_health_metrics_and_status(operated: str) -> None:
    async with httpx.AsyncClient(base_url=operated) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = (await http.get("/readyz")).json()
        assert ready["status"] == "ready"
        assert ready["checks"]["database"] == "ok"
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/api/v1/providers/status")).status_code == 401
        auth = {"Authorization": "Bearer operator-token-0123456789"}
        metrics = await http.get("/metrics", headers=auth)
        assert metrics.status_code == 200
        assert "trueport_breaker_state" in metrics.text
        status = (await http.get("/api/v1/providers/status", headers=auth)).json()
        assert status["backend"] == "memory"
        assert {b["target"] for b in status["breakers"]} >= {"oa/gpt-4o-mini", "an/claude-sonnet-4-5"}


async def test_status_api_is_disabled_without_a_token(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        response = await http.get("/api/v1/providers/status")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "unauthorized"


class _Intake:
    """A webhook intake whose health the test sets (the real one is exercised against Redis in
    tests/jobs/test_webhooks_redis_restart.py)."""

    def __init__(self, failure: str | None, *, bus_unreachable: bool) -> None:
        self.failure = failure
        self.bus_unreachable = bus_unreachable

    def health(self) -> str | None:
        return self.failure


async def test_readiness_reports_webhook_intake(gateway: RunningGateway) -> None:
    from trueport.operations import readiness

    resources = gateway.app.resources
    assert resources is not None
    engine, gateway_ = resources.engine, resources.gateway
    status, body = await readiness(engine, gateway_, _Intake(None, bus_unreachable=False))
    assert (status, body["status"], body["checks"]["webhook_intake"]) == (200, "ready", "ok")
    # Failing while Redis answers (NOGROUP was such an error): this replica is not ready.
    failing = "intake failing for 12s (ReplyError NOGROUP)"
    status, body = await readiness(engine, gateway_, _Intake(failing, bus_unreachable=False))
    assert (status, body["status"], body["checks"]["webhook_intake"]) == (503, "not ready", failing)
    # Failing because Redis is away: degraded, as the shared state is, not taken out of rotation.
    away = "intake failing for 3s (ConnectionError)"
    status, body = await readiness(engine, gateway_, _Intake(away, bus_unreachable=True))
    assert (status, body["status"]) == (200, "degraded")
    assert body["checks"]["webhook_intake"] == f"degraded ({away})"


async def test_metrics_count_the_calls_in_flight(database_url: str, mock: MockProvider) -> None:
    import re

    from tests.gateway.harness import running_gateway

    settings = gateway_settings(database_url, mock.url, admin_token="operator-token-0123456789")
    auth = {"Authorization": "Bearer operator-token-0123456789"}

    def in_flight(text: str) -> float:
        match = re.search(r"^trueport_requests_in_flight (\S+)$", text, re.MULTILINE)
        assert match, "no trueport_requests_in_flight"
        return float(match.group(1))

    async with running_gateway(settings) as gateway, httpx.AsyncClient(base_url=gateway.url) as http:
        assert in_flight((await http.get("/metrics", headers=auth)).text) == 0
        body = {"model": "slow", "messages": [{"role": "user", "content": "hi"}]}
        calls = [
            asyncio.create_task(
                http.post(
                    "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {gateway.key}"}
                )
            )
            for _ in range(3)
        ]
        seen = 0.0
        for _ in range(40):  # the emulator holds each answer 400 ms
            await asyncio.sleep(0.02)
            seen = max(seen, in_flight((await http.get("/metrics", headers=auth)).text))
            if seen == 3:
                break
        assert seen == 3
        assert all(r.status_code == 200 for r in await asyncio.gather(*calls))
        assert in_flight((await http.get("/metrics", headers=auth)).text) == 0
