"""Redis killed under load: no gateway 5xx, limits and breakers go local, all comes back with Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.replicas.harness import Replicas, trueport, write_config
from tests.support.redis import RedisServer, start_redis

from trueport.mockprovider import MockProviderThread

pytestmark = pytest.mark.slow


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def replicas(tmp_path: Path, own_redis: RedisServer) -> Iterator[Replicas]:
    with MockProviderThread(api_key="sk-up") as mock:
        config = write_config(
            tmp_path / "trueport.yaml",
            database_url=f"sqlite:///{tmp_path}/shared.db",
            redis_url=own_redis.url,
            upstream=mock.url,
        )
        trueport("tenants", "create", "acme", config=config)
        group = Replicas(config)
        try:
            group.start(2, tmp_path)
            yield group
        finally:
            group.stop()


async def readiness(url: str) -> str:
    async with httpx.AsyncClient(timeout=5) as http:
        return str((await http.get(f"{url}/readyz")).json()["status"])


async def test_redis_outage_under_load(replicas: Replicas, own_redis: RedisServer) -> None:
    key = trueport("keys", "create", "--tenant", "acme", "--rpm", "100000", config=replicas.config).split()[
        -1
    ]
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "keep going"}]}
    statuses: list[int] = []
    stop = asyncio.Event()

    async def load(url: str) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            while not stop.is_set():
                response = await http.post(
                    f"{url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
                )
                statuses.append(response.status_code)

    workers = [asyncio.create_task(load(url)) for url in replicas.urls for _ in range(4)]
    await asyncio.sleep(1.0)
    assert {await readiness(url) for url in replicas.urls} == {"ready"}
    own_redis.kill()
    await asyncio.sleep(2.0)
    assert {await readiness(url) for url in replicas.urls} == {"degraded"}
    own_redis.restart()
    deadline = time.monotonic() + 10
    while {await readiness(url) for url in replicas.urls} != {"ready"}:
        assert time.monotonic() < deadline, "replicas did not return to shared state within 10 s"
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*workers)
    assert statuses, "no load was sent"
    assert not [s for s in statuses if s >= 500], sorted(set(statuses))
    assert statuses.count(200) == len(statuses)
