"""Idempotency keys hold across replicas: replay on another replica, 409 on another body, billed once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.replicas.harness import Replicas, trueport, write_config

from trueport.mockprovider import MockProviderThread

pytestmark = pytest.mark.slow


@pytest.fixture
def replicas(tmp_path: Path, redis_url: str) -> Iterator[tuple[Replicas, MockProviderThread, Path]]:
    with MockProviderThread(api_key="sk-up") as mock:
        database = tmp_path / "shared.db"
        config = write_config(
            tmp_path / "trueport.yaml",
            database_url=f"sqlite:///{database}",
            redis_url=redis_url,
            upstream=mock.url,
        )
        trueport("tenants", "create", "acme", config=config)
        group = Replicas(config)
        try:
            group.start(3, tmp_path)
            yield group, mock, database
        finally:
            group.stop()


async def post(url: str, key: str, body: dict[str, object], idempotency_key: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            f"{url}/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key},
        )


async def test_replay_conflict_and_single_billing_across_replicas(
    replicas: tuple[Replicas, MockProviderThread, Path],
) -> None:
    group, mock, database = replicas
    key = trueport("keys", "create", "--tenant", "acme", config=group.config).split()[-1]
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "pay invoice 42"}]}
    first = await post(group.urls[0], key, body, "pay-42")
    replay = await post(group.urls[1], key, body, "pay-42")
    assert first.status_code == replay.status_code == 200
    assert replay.content == first.content
    assert replay.headers["x-trueport-idempotent-replay"] == "true"
    other = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "pay invoice 43"}]}
    assert (await post(group.urls[2], key, other, "pay-42")).status_code == 409

    concurrent = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "concurrent 7"}]}
    answers = await asyncio.gather(*(post(url, key, concurrent, "once-7") for url in group.urls * 3))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1

    upstream = [
        r for r in mock.requests if "pay invoice 42" in str(r["body"]) or "concurrent 7" in str(r["body"])
    ]
    assert len(upstream) == 2  # each request reached the provider once
    group.stop()  # graceful: every replica writes its records
    with sqlite3.connect(database) as db:
        billed = db.execute(
            "select count(*), sum(completion_tokens > 0) from request_records where status_code = 200"
        ).fetchone()
    assert billed == (11, 2)  # 11 answers, 2 with tokens: the rest were replays
