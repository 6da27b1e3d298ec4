"""/readyz says not ready when the books are not being kept: the recorder cannot write (the database
refuses its transactions) or is gone, or the hand-off of finished calls is stopped; and ready again
once the recorder catches up (threshold: ``records.max_lag_s``)."""

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


async def test_readyz_reports_a_recorder_that_is_behind_then_recovers(gateway: RunningGateway) -> None:
    recorder = gateway.app.gateway.records.recorder
    assert recorder is not None  # create_app runs it in process
    writer = recorder.records
    real = writer._sessions

    def unreachable() -> object:
        raise ConnectionResetError("the database went away")

    async with httpx.AsyncClient(base_url=gateway.url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["recorder"] == "ok"
        assert ready.json()["checks"]["call_handoff"] == "ok"
        writer._sessions = unreachable  # type: ignore[assignment]
        chat = {"model": "oa", "messages": [{"role": "user", "content": "hi"}]}
        answer = await http.post(
            "/v1/chat/completions", json=chat, headers={"Authorization": f"Bearer {gateway.key}"}
        )
        assert answer.status_code == 200  # durable in the spool: the answer does not wait for the books
        await asyncio.sleep(1.5)
        stalled = await http.get("/readyz")
        assert stalled.status_code == 503
        assert stalled.json()["status"] == "not ready"
        assert stalled.json()["checks"]["recorder"].startswith("behind: the books have not been written")
        writer._sessions = real
        for _ in range(100):
            recovered = await http.get("/readyz")
            if recovered.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert recovered.status_code == 200, recovered.text
    assert len(await gateway.records()) == 1  # nothing was lost meanwhile


async def test_readyz_reports_a_stopped_recorder_and_hand_off(gateway: RunningGateway) -> None:
    books = gateway.app.gateway.records
    assert books.recorder is not None and books.recorder._task is not None
    books.recorder._task.cancel()
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        await asyncio.sleep(0.05)
        stopped = await http.get("/readyz")
        assert stopped.status_code == 503
        assert stopped.json()["checks"]["recorder"] == "stopped"
        assert stopped.json()["checks"]["call_handoff"] == "ok"
        assert stopped.json()["checks"]["audit_writer"] == "ok"
        assert books.handoff._task is not None
        books.handoff._task.cancel()
        await asyncio.sleep(0.05)
        assert (await http.get("/readyz")).json()["checks"]["call_handoff"] == "stopped"
