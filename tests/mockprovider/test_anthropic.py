"""The Anthropic route, through the official SDK and as raw SSE."""

from __future__ import annotations

import aiohttp
import anthropic
import pytest
from anthropic import AsyncAnthropic
from anthropic.types import Message, TextBlock, ToolParam, ToolUseBlock

from trueport.jsonutil import loads
from trueport.mockprovider import MockProvider

TOOLS: list[ToolParam] = [
    {"name": "search", "input_schema": {"type": "object"}},
    {"name": "fetch", "input_schema": {"type": "object"}},
]
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def text_of(message: Message) -> str:
    block = message.content[0]
    assert isinstance(block, TextBlock)
    return block.text


def tool_use_of(message: Message) -> ToolUseBlock:
    block = message.content[0]
    assert isinstance(block, ToolUseBlock)
    return block


async def test_messages_echo_the_last_user_message(anthropic_client: AsyncAnthropic) -> None:
    message = await anthropic_client.messages.create(
        model="claude-sonnet",
        max_tokens=100,
        system="be brief",
        messages=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "hello big world"}]},
        ],
    )
    assert message.model == "claude-sonnet"
    assert message.id.startswith("msg_")
    assert [block.type for block in message.content] == ["text"]
    assert text_of(message) == "Echo: hello big world"
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (7, 4)


async def test_max_tokens_truncates(anthropic_client: AsyncAnthropic) -> None:
    message = await anthropic_client.messages.create(
        model="c", max_tokens=2, messages=[{"role": "user", "content": "one two three"}]
    )
    assert text_of(message) == "Echo: one"
    assert message.stop_reason == "max_tokens"


async def test_stream_through_the_sdk(anthropic_client: AsyncAnthropic) -> None:
    async with anthropic_client.messages.stream(
        model="c", max_tokens=100, messages=[{"role": "user", "content": "hello world"}]
    ) as stream:
        texts = [text async for text in stream.text_stream]
        final = await stream.get_final_message()
    assert texts == ["Echo:", " hello", " world"]
    assert text_of(final) == "Echo: hello world"
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (2, 3)


async def test_raw_stream_has_the_full_event_sequence(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{mock.url}/v1/messages",
        headers=HEADERS,
        json={
            "model": "c",
            "max_tokens": 10,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    ) as response:
        body = (await response.read()).decode()
    events = [block.split("\n") for block in body.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    payloads = [loads(lines[1].removeprefix("data: ")) for lines in events]
    assert [p["type"] for p in payloads] == names
    assert payloads[3]["delta"] == {"type": "text_delta", "text": "Echo:"}
    assert payloads[6]["delta"]["stop_reason"] == "end_turn"
    assert payloads[6]["usage"]["output_tokens"] == 2
    assert payloads[0]["message"]["usage"]["input_tokens"] == 1


async def test_tools_are_used(anthropic_client: AsyncAnthropic) -> None:
    message = await anthropic_client.messages.create(
        model="c",
        max_tokens=100,
        tools=TOOLS,
        messages=[{"role": "user", "content": "find cats"}],
    )
    assert message.stop_reason == "tool_use"
    block = message.content[0]
    assert block.type == "tool_use"
    assert (block.name, block.input) == ("search", {"input": "find cats"})
    assert block.id.startswith("toolu_")


async def test_a_named_tool_and_tool_choice_none(anthropic_client: AsyncAnthropic) -> None:
    named = await anthropic_client.messages.create(
        model="c",
        max_tokens=100,
        tools=TOOLS,
        tool_choice={"type": "tool", "name": "fetch"},
        messages=[{"role": "user", "content": "x"}],
    )
    assert tool_use_of(named).name == "fetch"
    none = await anthropic_client.messages.create(
        model="c",
        max_tokens=100,
        tools=TOOLS,
        tool_choice={"type": "none"},
        messages=[{"role": "user", "content": "x"}],
    )
    assert text_of(none) == "Echo: x"


async def test_streamed_tool_use_through_the_sdk(anthropic_client: AsyncAnthropic) -> None:
    async with anthropic_client.messages.stream(
        model="c",
        max_tokens=100,
        tools=TOOLS,
        messages=[{"role": "user", "content": "find big cats"}],
    ) as stream:
        partials = [event.partial_json async for event in stream if event.type == "input_json"]
        final = await stream.get_final_message()
    assert "".join(partials) == '{"input":"find big cats"}'
    assert len(partials) == 3
    assert final.stop_reason == "tool_use"
    assert tool_use_of(final).input == {"input": "find big cats"}


async def test_a_tool_result_is_echoed(anthropic_client: AsyncAnthropic) -> None:
    message = await anthropic_client.messages.create(
        model="c",
        max_tokens=100,
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "find cats"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "search", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "3 cats"}],
                    }
                ],
            },
        ],
    )
    assert text_of(message) == "Echo: 3 cats"
    assert message.stop_reason == "end_turn"


async def test_max_tokens_is_required(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/v1/messages",
        headers=HEADERS,
        json={"model": "c", "messages": [{"role": "user", "content": "x"}]},
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"},
    }


async def test_errors_reach_the_sdk_in_anthropic_shape(anthropic_client: AsyncAnthropic) -> None:
    with pytest.raises(anthropic.RateLimitError) as caught:
        await anthropic_client.messages.create(
            model="c+status=429", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "mock fault: status 429"},
    }
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.request_id is not None


async def test_the_version_header_is_required(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/v1/messages",
        headers={"x-api-key": "k"},
        json={"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]},
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert "anthropic-version" in body["error"]["message"]
