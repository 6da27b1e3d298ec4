"""Tokens per minute against a running gateway: a request reserves its prompt and its max_tokens (or
the route's default completion, within the limit); a request that could never fit is a 400 without
Retry-After that says why; a refused request does not use up the key's requests per minute."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI
from tests.gateway.harness import (
    PROVIDER_KEY,
    RunningGateway,
    gateway_settings,
    running_gateway,
)

from trueport.mockprovider import MockProvider

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def gateway(sqlite_database_url: str) -> AsyncIterator[RunningGateway]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        settings = gateway_settings(
            sqlite_database_url,
            mock.url,
            models={
                "oa": [{"provider": "oa", "model": "gpt-4o-mini"}],
                "short": {"targets": [{"provider": "oa", "model": "gpt-4o-mini"}], "default_max_tokens": 50},
            },
        )
        async with running_gateway(settings) as gateway:
            yield gateway


async def _post(gateway: RunningGateway, key: str, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{gateway.base_url}/chat/completions",
            json={"model": "oa", "messages": HI, **body},
            headers={"Authorization": f"Bearer {key}"},
        )


async def test_default_sdk_calls_fit_a_small_tpm_limit(gateway: RunningGateway) -> None:
    key = await gateway.new_key(tpm_limit=1000)
    async with AsyncOpenAI(base_url=gateway.base_url, api_key=key, max_retries=0) as client:
        for _ in range(5):  # each is settled to its real use, so they keep fitting
            reply = await client.chat.completions.create(model="oa", messages=HI)  # type: ignore[arg-type]
            assert reply.choices[0].message.content == "Echo: hi"


async def test_a_request_that_could_never_fit_is_a_400_without_retry_after(gateway: RunningGateway) -> None:
    key = await gateway.new_key(tpm_limit=1000)
    refused = await _post(gateway, key, max_tokens=5000)
    assert refused.status_code == 400
    assert "retry-after" not in refused.headers
    error = refused.json()["error"]
    assert error["code"] == "tokens_over_limit"
    assert "more than the key's limit of 1000 tokens per minute" in error["message"]
    too_long = await _post(gateway, key, messages=[{"role": "user", "content": "word " * 2000}])
    assert too_long.status_code == 400 and "retry-after" not in too_long.headers


async def test_a_request_refused_for_tokens_does_not_count_against_rpm(gateway: RunningGateway) -> None:
    key = await gateway.new_key(rpm_limit=3, tpm_limit=1000)
    for _ in range(4):
        assert (await _post(gateway, key, max_tokens=5000)).status_code == 400
    for _ in range(3):
        assert (await _post(gateway, key, max_tokens=10)).status_code == 200
    assert (await _post(gateway, key, max_tokens=10)).status_code == 429  # the limit itself still holds


async def test_the_route_default_completion_is_what_is_reserved(gateway: RunningGateway) -> None:
    key = await gateway.new_key(tpm_limit=100_000)
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.post(
            f"{gateway.base_url}/chat/completions",
            json={"model": "short", "messages": HI},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert reply.status_code == 200
    reserved = 100_000 - int(reply.headers["x-ratelimit-remaining-tokens"])
    assert 50 < reserved < 50 + 20  # the prompt's few tokens and the route's 50, not 4,096
