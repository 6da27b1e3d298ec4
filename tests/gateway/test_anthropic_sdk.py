"""The official anthropic SDK against `/v1/messages`: native to Anthropic, translated to the rest."""

from __future__ import annotations

import anthropic
import pytest
from tests.gateway.harness import RunningGateway

TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def client(gateway: RunningGateway) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


@pytest.mark.parametrize("alias", ["an", "oa", "ge", "az"])
async def test_messages(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        message = await sdk.messages.create(
            model=alias,
            max_tokens=100,
            system="Be brief.",
            messages=[{"role": "user", "content": "Hello there"}],
        )
    assert message.content[0].type == "text"
    assert message.content[0].text == "Echo: Hello there"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens > 0


@pytest.mark.parametrize("alias", ["an", "oa", "ge", "az"])
async def test_messages_stream(gateway: RunningGateway, alias: str) -> None:
    async with (
        client(gateway) as sdk,
        sdk.messages.stream(
            model=alias, max_tokens=100, messages=[{"role": "user", "content": "stream me please"}]
        ) as stream,
    ):
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "Echo: stream me please"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0
    record = (await gateway.records())[-1]
    assert record.stream is True
    assert record.completion_tokens == final.usage.output_tokens


@pytest.mark.parametrize("alias", ["an", "oa"])
async def test_messages_tool_use(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        message = await sdk.messages.create(
            model=alias,
            max_tokens=100,
            tools=[TOOL],  # type: ignore[list-item]
            messages=[{"role": "user", "content": "weather in Rome"}],
        )
    assert message.stop_reason == "tool_use"
    block = next(b for b in message.content if b.type == "tool_use")
    assert block.name == "get_weather"  # type: ignore[union-attr]
    assert block.input == {"input": "weather in Rome"}  # type: ignore[union-attr]


async def test_native_pass_through_keeps_the_provider_answer(gateway: RunningGateway, mock) -> None:  # type: ignore[no-untyped-def]
    async with client(gateway) as sdk:
        await sdk.messages.create(
            model="an",
            max_tokens=50,
            messages=[{"role": "user", "content": "hi"}],
            metadata={"user_id": "u-7"},
            extra_body={"top_k": 5},
        )
    sent = mock.requests[-1]
    assert sent["path"] == "/v1/messages"
    assert sent["body"]["model"] == "claude-sonnet-4-5"
    assert sent["body"]["top_k"] == 5  # Anthropic-only fields survive a native pass-through
    assert sent["body"]["metadata"] == {"user_id": "u-7"}
