"""The official openai and anthropic SDKs through `trueport serve` to Google Vertex AI targets (Gemini and
Claude) on the emulator, which issues OAuth tokens to its test service account and accepts only live ones."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
from tests.gateway.harness import RunningGateway, gateway_settings, running_gateway
from tests.gateway.test_bedrock_sdk import CLAUDE as BEDROCK_CLAUDE
from tests.gateway.test_bedrock_sdk import WEATHER_TOOL, bedrock

from trueport.mockprovider import MockProvider

GEMINI = "gemini-2.0-flash-001"
CLAUDE = "claude-3-5-haiku@20241022"


async def service_account(mock: MockProvider, directory: Path) -> Path:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{mock.url}/_mock/vertex/service-account") as response,
    ):
        path = directory / "vertex-service-account.json"
        path.write_bytes(await response.read())
    return path


def vertex(mock_url: str, credentials_file: Path) -> dict[str, Any]:
    return {
        "type": "vertex",
        "project": "trueport-mock",
        "location": "europe-west4",
        "base_url": mock_url,
        "credentials_file": str(credentials_file),
        "connect_timeout_s": 2,
        "timeout_s": 3,
        "stream_idle_timeout_s": 3,
    }


@pytest.fixture
async def gateway(database_url: str, mock: MockProvider, tmp_path: Path) -> AsyncIterator[RunningGateway]:
    providers = {"vx": vertex(mock.url, await service_account(mock, tmp_path)), "br": bedrock(mock.url)}
    models = {
        "gemini": [{"provider": "vx", "model": GEMINI}],
        "claude": [{"provider": "vx", "model": CLAUDE}],
        "br-throttled-then-vx": [
            {"provider": "br", "model": f"{BEDROCK_CLAUDE}+status=429"},
            {"provider": "vx", "model": CLAUDE},
        ],
        "embed": [{"provider": "vx", "model": "text-embedding-005"}],
    }
    settings = gateway_settings(database_url, mock.url, providers=providers, models=models)
    async with running_gateway(settings) as running:
        yield running


def openai_client(gateway: RunningGateway) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0)


def anthropic_client(gateway: RunningGateway) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


async def mock_get(mock: MockProvider, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"{mock.url}{path}") as response:
        return await response.json()


async def vertex_requests(mock: MockProvider) -> list[dict[str, Any]]:
    return [r for r in await mock_get(mock, "/_mock/requests") if r["path"].startswith("/v1/projects/")]


@pytest.mark.parametrize(("alias", "method"), [("gemini", "generateContent"), ("claude", "rawPredict")])
async def test_openai_chat(gateway: RunningGateway, mock: MockProvider, alias: str, method: str) -> None:
    async with openai_client(gateway) as sdk:
        reply = await sdk.chat.completions.create(
            model=alias,
            messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}],
        )
    assert reply.choices[0].message.content == "Echo: Hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    last = (await vertex_requests(mock))[-1]
    assert last["path"].endswith(f":{method}") and "/locations/europe-west4/" in last["path"]
    assert last["headers"]["authorization"].startswith("Bearer ya29.mock-")
    record = (await gateway.records())[-1]
    assert record.provider == "vx" and record.completion_tokens == 3
    if alias == "claude":  # priced from the catalog: Claude 3.5 Haiku, 0.80 in and 4.00 out per million
        assert record.cost_usd == Decimal(record.prompt_tokens * 80 + 3 * 400) / Decimal(100_000_000)


@pytest.mark.parametrize("alias", ["gemini", "claude"])
async def test_openai_stream_with_usage(gateway: RunningGateway, alias: str) -> None:
    async with openai_client(gateway) as sdk:
        stream = await sdk.chat.completions.create(
            model=alias,
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


@pytest.mark.parametrize("alias", ["gemini", "claude"])
async def test_openai_tools_round_trip(gateway: RunningGateway, alias: str) -> None:
    async with openai_client(gateway) as sdk:
        reply = await sdk.chat.completions.create(
            model=alias, messages=[{"role": "user", "content": "weather in Paris"}], tools=[WEATHER_TOOL]
        )
        choice = reply.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.tool_calls is not None
        call = choice.message.tool_calls[0]
        assert call.type == "function" and call.function.name == "get_weather"
        assert json.loads(call.function.arguments) == {"input": "weather in Paris"}
        follow = await sdk.chat.completions.create(
            model=alias,
            tools=[WEATHER_TOOL],
            messages=[
                {"role": "user", "content": "weather in Paris"},
                choice.message.model_dump(exclude_none=True),  # type: ignore[list-item]
                {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
            ],
        )
    assert follow.choices[0].message.content == "Echo: sunny, 21C"


@pytest.mark.parametrize("alias", ["gemini", "claude"])
async def test_anthropic_messages(gateway: RunningGateway, alias: str) -> None:
    async with anthropic_client(gateway) as sdk:
        message = await sdk.messages.create(
            model=alias,
            max_tokens=100,
            system="Be brief.",
            messages=[{"role": "user", "content": "Hello there"}],
        )
        async with sdk.messages.stream(
            model=alias, max_tokens=100, messages=[{"role": "user", "content": "stream me please"}]
        ) as stream:
            text = "".join([piece async for piece in stream.text_stream])
            final = await stream.get_final_message()
        tool_message = await sdk.messages.create(
            model=alias,
            max_tokens=100,
            tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
            messages=[{"role": "user", "content": "Paris"}],
        )
    assert message.content[0].type == "text" and message.content[0].text == "Echo: Hello there"
    assert message.stop_reason == "end_turn" and message.usage.output_tokens == 3
    assert text == "Echo: stream me please" and final.stop_reason == "end_turn"
    assert tool_message.stop_reason == "tool_use"
    tool_use = tool_message.content[0]
    assert (
        tool_use.type == "tool_use"
        and tool_use.name == "get_weather"
        and tool_use.input == {"input": "Paris"}
    )


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_messages_pass_through_natively_to_claude_on_vertex(
    gateway: RunningGateway, mock: MockProvider, stream: bool
) -> None:
    """The client's own body (top_k, which the chat form does not have) reaches streamRawPredict/rawPredict."""
    async with anthropic_client(gateway) as sdk:
        request: Any = {
            "model": "claude",
            "max_tokens": 50,
            "extra_body": {"top_k": 5},
            "messages": [{"role": "user", "content": "hi"}],
        }
        if stream:
            async with sdk.messages.stream(**request) as events:
                text = "".join([piece async for piece in events.text_stream])
        else:
            message = await sdk.messages.create(**request)
            text = message.content[0].text if message.content[0].type == "text" else ""
    assert text == "Echo: hi"
    last = (await vertex_requests(mock))[-1]
    assert last["path"].endswith(":streamRawPredict" if stream else ":rawPredict")
    assert last["body"]["top_k"] == 5 and "model" not in last["body"]
    assert last["body"]["anthropic_version"] == "vertex-2023-10-16"
    assert (await gateway.records())[-1].completion_tokens == 2


@pytest.mark.parametrize("stream", [False, True])
async def test_a_throttled_bedrock_target_fails_over_to_vertex_before_the_first_byte(
    gateway: RunningGateway, mock: MockProvider, stream: bool
) -> None:
    async with openai_client(gateway) as sdk:
        if stream:
            chunks = await sdk.chat.completions.create(
                model="br-throttled-then-vx", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            text = "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])
        else:
            reply = await sdk.chat.completions.create(
                model="br-throttled-then-vx", messages=[{"role": "user", "content": "hi"}]
            )
            text = reply.choices[0].message.content or ""
    assert text == "Echo: hi"
    paths = [request["path"] for request in await mock_get(mock, "/_mock/requests")]
    assert f"/model/{BEDROCK_CLAUDE}+status=429/{'converse-stream' if stream else 'converse'}" in paths
    assert paths[-1].endswith(
        f"/publishers/anthropic/models/{CLAUDE}:{'streamRawPredict' if stream else 'rawPredict'}"
    )
    record = (await gateway.records())[-1]
    assert record.provider == "vx"


async def test_an_expired_token_is_refused_by_the_emulator_and_refreshed(
    gateway: RunningGateway, mock: MockProvider
) -> None:
    async with openai_client(gateway) as sdk:
        await sdk.chat.completions.create(model="gemini", messages=[{"role": "user", "content": "one"}])
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{mock.url}/_mock/vertex/tokens/expire") as response,
        ):
            assert (await response.json())["expired"] == 1
        reply = await sdk.chat.completions.create(
            model="claude", messages=[{"role": "user", "content": "two"}]
        )
    assert reply.choices[0].message.content == "Echo: two"
    assert await mock_get(mock, "/_mock/vertex/tokens") == {"issued": 2, "refused": 1, "live": 1}
    first, refused, repeated = await vertex_requests(mock)
    assert first["headers"]["authorization"] == refused["headers"]["authorization"]
    assert repeated["headers"]["authorization"] != refused["headers"]["authorization"]


async def test_embeddings_through_the_openai_sdk(gateway: RunningGateway) -> None:
    async with openai_client(gateway) as sdk:
        result = await sdk.embeddings.create(model="embed", input=["hello world", "bye"], dimensions=64)
    assert [len(item.embedding) for item in result.data] == [64, 64]
    assert result.usage.prompt_tokens == 3


@pytest.mark.parametrize("alias", ["gemini", "claude"])
async def test_openai_responses_translated_to_vertex(gateway: RunningGateway, alias: str) -> None:
    tool: Any = {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    async with openai_client(gateway) as sdk:
        response = await sdk.responses.create(model=alias, instructions="Be brief.", input="Hello there")
        stream = await sdk.responses.create(model=alias, input="stream this please", stream=True)
        events = [event async for event in stream]
        first = await sdk.responses.create(model=alias, input="weather in Lima", tools=[tool])
    assert response.output_text == "Echo: Hello there"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Echo: stream this please" and events[-1].type == "response.completed"
    [call] = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and json.loads(call.arguments) == {"input": "weather in Lima"}
    records = await gateway.records()
    assert {(r.endpoint, r.provider, r.status_code) for r in records} == {("/v1/responses", "vx", 200)}
