"""An upstream's usage numbers are checked: negative, huge (10**30), over 10**9 or not integers, the
call is recorded with ``upstream_usage_invalid`` and the gateway's own estimate, and the books go on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.gateway.harness import RunningGateway, gateway_settings, running_gateway

from trueport.db.models import DeadLetter, UsageRollup
from trueport.metrics import REGISTRY
from trueport.mockprovider import MockProvider

INVALID = {
    "negative": "-1000000000,-5",
    "huge": "1000000000000000000000000000000,5",  # 10**30: a float once parsed, as from any upstream
    "over-bound": "1000000001,5",
    "words": "many,5",
    "fraction": "1.5,5",
}


def models() -> dict[str, Any]:
    routes: dict[str, Any] = {
        name: [{"provider": "oa", "model": f"gpt-4o-mini+usage={usage}"}] for name, usage in INVALID.items()
    }
    routes["honest"] = [{"provider": "oa", "model": "gpt-4o-mini+usage=1000,20"}]
    return routes


@pytest.fixture
async def gateway(database_url: str, mock: MockProvider) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, mock.url, models=models())
    async with running_gateway(settings) as gateway:
        yield gateway


def tokens_counted() -> float:
    return REGISTRY.get_sample_value("trueport_tokens_total", {"provider": "oa", "kind": "prompt"}) or 0.0


async def test_invalid_upstream_usage_is_flagged_and_priced_from_the_estimate(
    gateway: RunningGateway,
) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}"}
    messages = [{"role": "user", "content": "count me, please"}]
    before = tokens_counted()
    async with httpx.AsyncClient(base_url=gateway.url, headers=headers, timeout=10) as http:
        for alias in [*INVALID, "honest"]:
            plain = await http.post(
                "/v1/chat/completions", json={"model": alias, "messages": messages, "max_tokens": 50}
            )
            assert plain.status_code == 200, plain.text
            body = {
                "model": alias,
                "messages": messages,
                "max_tokens": 50,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
            async with http.stream("POST", "/v1/chat/completions", json=body) as streamed:
                assert streamed.status_code == 200
                assert "[DONE]" in (await streamed.aread()).decode()
    records = await gateway.records()
    assert len(records) == 2 * (len(INVALID) + 1)
    by_alias: dict[str, list[Any]] = {}
    for record in records:
        by_alias.setdefault(record.alias, []).append(record)
    for alias in INVALID:
        for record in by_alias[alias]:
            assert record.upstream_usage_invalid, alias
            assert 0 < record.prompt_tokens < 100, alias  # the gateway's estimate of the prompt
            assert record.completion_tokens == 50, alias  # the most the request allowed
            assert record.cost_usd > 0, alias
    for record in by_alias["honest"]:
        assert not record.upstream_usage_invalid
        assert (record.prompt_tokens, record.completion_tokens) == (1000, 20)
    assert tokens_counted() > before
    async with gateway.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DeadLetter)) == 0
        lowest = await session.scalar(select(func.min(UsageRollup.prompt_tokens)))
        assert lowest is not None and lowest >= 0
        assert (await session.scalar(select(func.min(UsageRollup.cost_usd)))) >= 0
