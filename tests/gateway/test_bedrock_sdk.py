"""The official openai and anthropic SDKs through `trueport serve` to Amazon Bedrock targets on the emulator,
which recomputes every request's SigV4 signature (the emulator's secret is the harness's provider key)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
from tests.gateway.harness import PROVIDER_KEY, RunningGateway, gateway_settings, running_gateway

from trueport.mockprovider import MockProvider
from trueport.mockprovider.sigv4 import MOCK_ACCESS_KEY_ID

CLAUDE = "anthropic.claude-3-5-haiku-20241022-v1:0"
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def bedrock(mock_url: str, secret: str = PROVIDER_KEY) -> dict[str, Any]:
    return {
        "type": "bedrock",
        "region": "us-east-1",
        "base_url": mock_url,
        "access_key_id": MOCK_ACCESS_KEY_ID,
        "secret_access_key": secret,
        "connect_timeout_s": 2,
        "timeout_s": 3,
        "stream_idle_timeout_s": 3,
    }


@pytest.fixture
async def gateway(database_url: str, mock: MockProvider) -> AsyncIterator[RunningGateway]:
    providers = {
        "br": bedrock(mock.url),
        "br-wrong": bedrock(mock.url, secret="not-the-emulators-secret"),
        "an": {"type": "anthropic", "base_url": mock.url, "api_key": PROVIDER_KEY},
    }
    models = {
        "br": [{"provider": "br", "model": CLAUDE}],
        "br-profile": [{"provider": "br", "model": f"us.{CLAUDE}"}],
        "br-throttled-then-an": [
            {"provider": "br", "model": f"{CLAUDE}+status=429"},
            {"provider": "an", "model": "claude-sonnet-4-5"},
        ],
        "br-wrong-then-br": [{"provider": "br-wrong", "model": CLAUDE}, {"provider": "br", "model": CLAUDE}],
        "br-wrong": [{"provider": "br-wrong", "model": CLAUDE}],
        "br-titan": [{"provider": "br", "model": "amazon.titan-embed-text-v2:0"}],
    }
    settings = gateway_settings(database_url, mock.url, providers=providers, models=models)
    async with running_gateway(settings) as running:
        yield running


def openai_client(gateway: RunningGateway) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0)


def anthropic_client(gateway: RunningGateway) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


async def mock_requests(mock: MockProvider) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"{mock.url}/_mock/requests") as response:
        requests: list[dict[str, Any]] = await response.json()
    return requests


@pytest.mark.parametrize("alias", ["br", "br-profile"])
async def test_openai_chat(gateway: RunningGateway, mock: MockProvider, alias: str) -> None:
    async with openai_client(gateway) as sdk:
        reply = await sdk.chat.completions.create(
            model=alias,
            messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}],
        )
    assert reply.choices[0].message.content == "Echo: Hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.prompt_tokens == 4 and reply.usage.completion_tokens == 3
    last = (await mock_requests(mock))[-1]
    assert last["path"].endswith("/converse") and last["headers"]["authorization"].startswith(
        "AWS4-HMAC-SHA256"
    )
    assert last["body"]["system"] == [{"text": "Be brief."}]
    record = (await gateway.records())[-1]
    assert (record.prompt_tokens, record.completion_tokens) == (4, 3)
    # priced from the catalog: Claude 3.5 Haiku on Bedrock, 0.80 in and 4.00 out per million tokens
    assert record.cost_usd == Decimal("0.0000152")


async def test_openai_stream_with_usage(gateway: RunningGateway) -> None:
    async with openai_client(gateway) as sdk:
        stream = await sdk.chat.completions.create(
            model="br",
            messages=[{"role": "user", "content": "stream this answer please"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text, usage, finish = "", None, None
        async for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
    assert text == "Echo: stream this answer please"
    assert finish == "stop"
    assert usage is not None and usage.completion_tokens == 5


async def test_openai_tools_round_trip(gateway: RunningGateway) -> None:
    async with openai_client(gateway) as sdk:
        reply = await sdk.chat.completions.create(
            model="br", messages=[{"role": "user", "content": "weather in Paris"}], tools=[WEATHER_TOOL]
        )
        choice = reply.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.tool_calls is not None
        call = choice.message.tool_calls[0]
        assert call.type == "function"
        assert call.function.name == "get_weather"
        assert json.loads(call.function.arguments) == {"input": "weather in Paris"}
        follow = await sdk.chat.completions.create(
            model="br",
            tools=[WEATHER_TOOL],
            messages=[
                {"role": "user", "content": "weather in Paris"},
                choice.message.model_dump(exclude_none=True),  # type: ignore[list-item]
                {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
            ],
        )
        streamed = await sdk.chat.completions.create(
            model="br", messages=[{"role": "user", "content": "Rome"}], tools=[WEATHER_TOOL], stream=True
        )
        arguments, finish = "", None
        async for chunk in streamed:
            for delta_call in chunk.choices[0].delta.tool_calls or []:
                arguments += (delta_call.function and delta_call.function.arguments) or ""
            finish = chunk.choices[0].finish_reason or finish
    assert follow.choices[0].message.content == "Echo: sunny, 21C"
    assert json.loads(arguments) == {"input": "Rome"} and finish == "tool_calls"


async def test_anthropic_messages(gateway: RunningGateway) -> None:
    async with anthropic_client(gateway) as sdk:
        message = await sdk.messages.create(
            model="br",
            max_tokens=100,
            system="Be brief.",
            messages=[{"role": "user", "content": "Hello there"}],
        )
        async with sdk.messages.stream(
            model="br", max_tokens=100, messages=[{"role": "user", "content": "stream me please"}]
        ) as stream:
            text = "".join([piece async for piece in stream.text_stream])
            final = await stream.get_final_message()
        tool_message = await sdk.messages.create(
            model="br",
            max_tokens=100,
            tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
            messages=[{"role": "user", "content": "Paris"}],
        )
    assert message.content[0].type == "text" and message.content[0].text == "Echo: Hello there"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 4 and message.usage.output_tokens == 3
    assert text == "Echo: stream me please" and final.stop_reason == "end_turn"
    assert tool_message.stop_reason == "tool_use"
    tool_use = tool_message.content[0]
    assert (
        tool_use.type == "tool_use"
        and tool_use.name == "get_weather"
        and tool_use.input == {"input": "Paris"}
    )


@pytest.mark.parametrize("stream", [False, True])
async def test_a_throttled_bedrock_target_fails_over_before_the_first_byte(
    gateway: RunningGateway, mock: MockProvider, stream: bool
) -> None:
    async with openai_client(gateway) as sdk:
        if stream:
            chunks = await sdk.chat.completions.create(
                model="br-throttled-then-an", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            text = "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])
        else:
            reply = await sdk.chat.completions.create(
                model="br-throttled-then-an", messages=[{"role": "user", "content": "hi"}]
            )
            text = reply.choices[0].message.content or ""
    assert text == "Echo: hi"
    paths = [request["path"] for request in await mock_requests(mock)]
    throttled = f"/model/{CLAUDE}+status=429/{'converse-stream' if stream else 'converse'}"
    assert throttled in paths
    assert paths[-1] == "/v1/messages"  # the Anthropic target answered
    record = (await gateway.records())[-1]
    assert record.provider == "an"


async def test_a_bad_signature_is_rejected_by_the_emulator(
    gateway: RunningGateway, mock: MockProvider
) -> None:
    async with openai_client(gateway) as sdk:
        with pytest.raises(openai.APIStatusError) as caught:
            await sdk.chat.completions.create(model="br-wrong", messages=[{"role": "user", "content": "hi"}])
        assert caught.value.status_code >= 500
        assert "not-the-emulators-secret" not in caught.value.message
        reply = await sdk.chat.completions.create(
            model="br-wrong-then-br", messages=[{"role": "user", "content": "hi"}]
        )
    assert reply.choices[0].message.content == "Echo: hi"
    converse_calls = [r for r in await mock_requests(mock) if r["path"].endswith("/converse")]
    assert len(converse_calls) >= 3  # the rejected one, its failover's rejection, then the good signature


async def test_embeddings_through_the_openai_sdk(gateway: RunningGateway) -> None:
    async with openai_client(gateway) as sdk:
        result = await sdk.embeddings.create(model="br-titan", input=["hello world", "bye"], dimensions=256)
    assert [len(item.embedding) for item in result.data] == [256, 256]
    assert result.usage.prompt_tokens == 3
