"""Deterministic fallback: when every target fails, the alias's fallback answers, marked and recorded."""

from __future__ import annotations

import anthropic
import httpx
import openai
from tests.gateway.harness import RunningGateway

HELLO = [{"role": "user", "content": "hi"}]


async def test_fixed_message_fallback_is_marked_and_recorded(gateway: RunningGateway) -> None:
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0) as sdk:
        raw = await sdk.chat.completions.with_raw_response.create(
            model="with-fallback-message", messages=HELLO
        )
    reply = raw.parse()
    assert raw.headers["x-trueport-fallback"] == "true"
    assert reply.choices[0].message.content == "The assistant is unavailable; please try again later."
    record = (await gateway.records())[-1]
    assert record.fallback is True
    assert record.status_code == 200
    assert record.attempts >= 2  # the failed target (maybe retried), then the fallback
    assert float(record.cost_usd) == 0


async def test_fixed_message_fallback_streams(gateway: RunningGateway) -> None:
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0) as sdk:
        stream = await sdk.chat.completions.create(model="with-fallback-message", messages=HELLO, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "The assistant is unavailable; please try again later."


async def test_fallback_to_a_designated_target(gateway: RunningGateway) -> None:
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0) as sdk:
        raw = await sdk.chat.completions.with_raw_response.create(
            model="with-fallback-target", messages=HELLO
        )
    assert raw.headers["x-trueport-fallback"] == "true"
    assert raw.parse().choices[0].message.content == "Echo: hi"
    record = (await gateway.records())[-1]
    assert record.provider == "ge"
    assert record.upstream_model == "gemini-2.0-flash"
    assert record.fallback is True


async def test_fallback_works_for_the_anthropic_api(gateway: RunningGateway) -> None:
    async with anthropic.AsyncAnthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0) as sdk:
        message = await sdk.messages.create(model="with-fallback-message", max_tokens=20, messages=HELLO)
    assert message.content[0].text.startswith("The assistant is unavailable")  # type: ignore[union-attr]


async def test_a_failing_fallback_reports_the_original_failure(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        response = await http.post(
            "/v1/chat/completions",
            json={"model": "broken-fallback", "messages": HELLO},
            headers={"Authorization": f"Bearer {gateway.key}"},
        )
    assert (
        response.status_code == 429
    )  # the targets were rate-limited; the fallback's own error is not the story
    assert "x-trueport-fallback" not in response.headers
    assert (await gateway.records())[-1].fallback is False
