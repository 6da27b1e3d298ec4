"""Webhook intake survives Redis restarting empty: the consumer group is created again and events
flow; while intake cannot read the bus, /readyz says not ready (a real redis-server, stopped and
started again on the same port)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tests.gateway.harness import PROVIDER_KEY
from tests.jobs.test_webhooks import CHAT, Receiver, _subscribe, _tenant_with_key, _worker, receiving
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from support.redis import RedisServer, start_redis
from trueport.mockprovider import MockProvider

pytestmark = pytest.mark.slow


@pytest.fixture
def redis() -> AsyncIterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


async def _ready(platform: ControlPlaneHarness) -> tuple[int, dict[str, str]]:
    answer = await platform.client.get("/readyz")
    return answer.status_code, answer.json()["checks"]


async def _until(
    platform: ControlPlaneHarness, code: int, intake: str = "ok", timeout_s: float = 15.0
) -> dict[str, str]:
    async with asyncio.timeout(timeout_s):
        while True:
            answer = await platform.client.get("/readyz")
            if answer.status_code == code and answer.json()["checks"].get("webhook_intake") == intake:
                return dict(answer.json()["checks"])
            await asyncio.sleep(0.1)


async def test_intake_recovers_after_redis_restarts_empty(
    sqlite_database_url: str, redis: RedisServer
) -> None:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        settings = platform_settings(sqlite_database_url, mock.url, redis=redis.url)
        async with running_platform(settings) as platform, receiving(Receiver(statuses=[])) as receiver:
            worker = _worker(platform)
            worker.poll_s, worker.claim_idle_s = 0.05, 0.3  # claim stuck events often, as after a crash
            _tenant_id, headers, key = await _tenant_with_key(platform)
            await _subscribe(platform, headers, receiver)
            auth = {"Authorization": f"Bearer {key}"}
            assert (
                await platform.client.post("/v1/chat/completions", json=CHAT, headers=auth)
            ).status_code == 200
            await receiver.wait_for(1)
            assert (await _ready(platform))[1]["webhook_intake"] == "ok"

            redis.kill()
            await asyncio.sleep(1.0)

            redis.restart()  # empty: no streams, no consumer groups
            await asyncio.sleep(2.5)  # several intake rounds, claims included, against the empty Redis
            assert (
                await platform.client.post("/v1/chat/completions", json=CHAT, headers=auth)
            ).status_code == 200
            await receiver.wait_for(2, timeout_s=15)
            checks = await _until(platform, 200)
            assert checks["webhook_intake"] == "ok"
