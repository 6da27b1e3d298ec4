"""Every request leaves one record with tokens and cost, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import openai
from tests.gateway.harness import RunningGateway


async def test_every_request_has_a_record_with_tokens_and_cost(gateway: RunningGateway) -> None:
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0) as sdk:
        reply = await sdk.chat.completions.create(
            model="oa", messages=[{"role": "user", "content": "count me"}]
        )
        stream = await sdk.chat.completions.create(
            model="an", messages=[{"role": "user", "content": "and me"}], stream=True
        )
        async for _ in stream:
            pass
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        await http.post("/v1/chat/completions", json={"model": "oa"}, headers={"Authorization": "Bearer bad"})
    records = await gateway.records()
    assert len(records) == 3
    plain, streamed, refused = records
    assert plain.tenant_id == gateway.tenant_id
    assert plain.key_id is not None
    assert plain.alias == "oa"
    assert plain.provider == "oa"
    assert plain.upstream_model == "gpt-4o-mini"
    assert plain.status_code == 200
    assert plain.stream is False
    assert reply.usage is not None
    assert plain.prompt_tokens == reply.usage.prompt_tokens
    assert plain.completion_tokens == reply.usage.completion_tokens
    assert plain.cost_usd > 0
    assert plain.pricing_version is not None
    assert plain.latency_ms > 0
    assert streamed.stream is True
    assert streamed.ttft_ms is not None
    assert streamed.completion_tokens > 0
    assert streamed.cost_usd > 0
    assert refused.status_code == 401
    assert refused.tenant_id is None
    assert refused.error_class == "AuthenticationFailed"


async def test_records_survive_shutdown(gateway: RunningGateway) -> None:
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0) as sdk:
        for _ in range(20):
            await sdk.chat.completions.create(model="oa", messages=[{"role": "user", "content": "x"}])
    await gateway.app.shutdown()  # graceful stop flushes the writer
    from sqlalchemy import func, select

    from trueport.db.models import RequestRecord

    async with gateway.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(RequestRecord))
    assert count == 20
