"""Idempotency keys: replay with the same body, 409 with another, concurrent duplicates wait, billed once."""

from __future__ import annotations

import asyncio

import httpx
import openai
import pytest
from tests.gateway.harness import RunningGateway

BODY = {"model": "slow", "messages": [{"role": "user", "content": "charge me once"}]}


async def post(gateway: RunningGateway, body: dict[str, object], key: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
        return await http.post(
            "/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {gateway.key}", "Idempotency-Key": key},
        )


async def upstream_calls(mock, content: str) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for r in mock.requests if content in str(r["body"]))


async def test_a_repeat_replays_the_stored_answer_and_is_billed_once(gateway: RunningGateway, mock) -> None:  # type: ignore[no-untyped-def]
    first = await post(gateway, BODY, "order-1")
    second = await post(gateway, BODY, "order-1")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second.headers["x-trueport-idempotent-replay"] == "true"
    assert "x-trueport-idempotent-replay" not in first.headers
    assert await upstream_calls(mock, "charge me once") == 1
    records = await gateway.records()
    assert [r.served_from for r in records] == [None, "idempotency"]
    assert records[0].completion_tokens > 0
    assert records[1].completion_tokens == 0
    assert float(records[1].cost_usd) == 0


async def test_the_same_key_with_another_body_is_409(gateway: RunningGateway) -> None:
    assert (await post(gateway, BODY, "order-2")).status_code == 200
    other = {**BODY, "messages": [{"role": "user", "content": "something else"}]}
    response = await post(gateway, other, "order-2")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


async def test_concurrent_duplicates_wait_for_the_first(gateway: RunningGateway, mock) -> None:  # type: ignore[no-untyped-def]
    body = {**BODY, "messages": [{"role": "user", "content": "concurrent once"}]}
    responses = await asyncio.gather(*(post(gateway, body, "order-3") for _ in range(5)))
    assert all(r.status_code == 200 for r in responses)
    assert len({r.content for r in responses}) == 1
    assert await upstream_calls(mock, "concurrent once") == 1


async def test_streams_are_replayed(gateway: RunningGateway, mock) -> None:  # type: ignore[no-untyped-def]
    async def stream_once() -> str:
        async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0) as sdk:
            stream = await sdk.chat.completions.create(
                model="oa",
                messages=[{"role": "user", "content": "stream once"}],
                stream=True,
                extra_headers={"Idempotency-Key": "stream-1"},
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert await stream_once() == await stream_once() == "Echo: stream once"
    assert await upstream_calls(mock, "stream once") == 1


async def test_a_failed_request_does_not_pin_the_key(gateway: RunningGateway) -> None:
    failing = {"model": "all-down", "messages": [{"role": "user", "content": "x"}]}
    assert (await post(gateway, failing, "order-4")).status_code == 502
    assert (await post(gateway, failing, "order-4")).status_code == 502  # ran again, not a replayed 502


@pytest.mark.parametrize("key", ["", "k" * 300])
async def test_bad_keys_are_400(gateway: RunningGateway, key: str) -> None:
    response = await post(gateway, BODY, key)
    assert response.status_code == 400
