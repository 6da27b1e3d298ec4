"""Three replicas sharing one Redis admit exactly L requests per minute for a key limited to L."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.replicas.harness import Replicas, trueport, write_config

from trueport.mockprovider import MockProviderThread

pytestmark = pytest.mark.slow


@pytest.fixture
def replicas(tmp_path: Path, redis_url: str) -> Iterator[Replicas]:
    with MockProviderThread(api_key="sk-up") as mock:
        config = write_config(
            tmp_path / "trueport.yaml",
            database_url=f"sqlite:///{tmp_path}/shared.db",
            redis_url=redis_url,
            upstream=mock.url,
        )
        trueport("tenants", "create", "acme", config=config)
        group = Replicas(config)
        try:
            group.start(3, tmp_path)
            yield group
        finally:
            group.stop()


async def burst(urls: list[str], key: str, total: int) -> list[int]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=60)) as http:

        async def one(index: int) -> int:
            response = await http.post(
                f"{urls[index % len(urls)]}/v1/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
            )
            return response.status_code

        return list(await asyncio.gather(*(one(i) for i in range(total))))


async def test_three_replicas_admit_exactly_the_limit(replicas: Replicas) -> None:
    limit = 25
    key = trueport("keys", "create", "--tenant", "acme", "--rpm", str(limit), config=replicas.config).split()[
        -1
    ]
    # Stay inside one minute window: wait out the end of a minute rather than straddle it.
    if datetime.now(UTC).second > 45:
        await asyncio.sleep(61 - datetime.now(UTC).second)
    statuses = await burst(replicas.urls, key, 120)
    assert statuses.count(200) == limit, statuses
    assert statuses.count(429) == 120 - limit
