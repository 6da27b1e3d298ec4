"""Operator endpoints: readiness, metrics and provider status behind the admin token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.gateway.harness import RunningGateway, gateway_settings, start_gateway

from trueport.db.migrate import upgrade_to_head
from trueport.mockprovider import MockProvider
from trueport.settings import async_database_url


@pytest.fixture
async def operated(sqlite_database_url: str, mock: MockProvider) -> AsyncIterator[str]:
    settings = gateway_settings(sqlite_database_url, mock.url, admin_token="operator-token-0123456789")
    await asyncio.to_thread(upgrade_to_head, async_database_url(sqlite_database_url))
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
