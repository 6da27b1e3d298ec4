"""/readyz says not ready when the record writer is behind (the database refuses its batches) or its
task is gone, and ready again once it catches up (threshold: ``records.max_lag_s``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.gateway.harness import RunningGateway, gateway_settings, running_gateway

from trueport.mockprovider import MockProvider


@pytest.fixture
async def gateway(database_url: str, mock: MockProvider) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, mock.url, records={"flush_interval_ms": 50, "max_lag_s": 0.5})
    async with running_gateway(settings) as gateway:
        yield gateway


async def test_readyz_reports_a_record_writer_that_is_behind_then_recovers(gateway: RunningGateway) -> None:
    writer = gateway.app.gateway.records
    real = writer._sessions

    def unreachable() -> object:
        raise ConnectionResetError("the database went away")

    async with httpx.AsyncClient(base_url=gateway.url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["record_writer"] == "ok"
        writer._sessions = unreachable  # type: ignore[assignment]
        chat = {"model": "oa", "messages": [{"role": "user", "content": "hi"}]}
        answer = await http.post(
            "/v1/chat/completions", json=chat, headers={"Authorization": f"Bearer {gateway.key}"}
        )
        assert answer.status_code == 200
        await asyncio.sleep(1.0)
        stalled = await http.get("/readyz")
        assert stalled.status_code == 503
        assert stalled.json()["status"] == "not ready"
        assert stalled.json()["checks"]["record_writer"].startswith("behind: 1 records queued")
        writer._sessions = real
        for _ in range(100):
            recovered = await http.get("/readyz")
            if recovered.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert recovered.status_code == 200, recovered.text
    assert len(await gateway.records()) == 1  # nothing was lost meanwhile


async def test_readyz_reports_a_stopped_record_writer(gateway: RunningGateway) -> None:
    writer = gateway.app.gateway.records
    assert writer._task is not None
    writer._task.cancel()
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        await asyncio.sleep(0.05)
        stopped = await http.get("/readyz")
    assert stopped.status_code == 503
    assert stopped.json()["checks"]["record_writer"] == "stopped"
    assert stopped.json()["checks"]["audit_writer"] == "ok"
