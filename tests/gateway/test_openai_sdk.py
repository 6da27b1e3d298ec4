"""The official openai SDK against `trueport serve`, routed to every provider type."""

from __future__ import annotations

import json

import openai
import pytest
from tests.gateway.harness import PROVIDER_KEY, RunningGateway

PROVIDER_ALIASES = ["oa", "an", "ge", "az"]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def client(gateway: RunningGateway) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0)


@pytest.mark.parametrize("alias", PROVIDER_ALIASES)
async def test_chat(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        reply = await sdk.chat.completions.create(
            model=alias,
            messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}],
        )
    assert reply.choices[0].message.content == "Echo: Hello there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.completion_tokens > 0


@pytest.mark.parametrize("alias", PROVIDER_ALIASES)
async def test_chat_stream_with_usage(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
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
    assert usage is not None
    assert usage.completion_tokens > 0


async def test_stream_without_usage_sends_no_usage_chunk(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        stream = await sdk.chat.completions.create(
            model="an", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        chunks = [chunk async for chunk in stream]
    assert chunks
    assert all(chunk.usage is None for chunk in chunks)
    assert all(chunk.choices for chunk in chunks)
    records = await gateway.records()
    assert records[-1].completion_tokens > 0  # the gateway still counted it


@pytest.mark.parametrize("alias", PROVIDER_ALIASES)
async def test_tools_are_forwarded_and_calls_come_back(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        reply = await sdk.chat.completions.create(
            model=alias,
            messages=[{"role": "user", "content": "weather in Paris"}],
            tools=[WEATHER_TOOL],  # type: ignore[list-item]
        )
        message = reply.choices[0].message
        assert reply.choices[0].finish_reason == "tool_calls"
        assert message.tool_calls is not None
        call = message.tool_calls[0]
        assert call.function.name == "get_weather"  # type: ignore[union-attr]
        assert json.loads(call.function.arguments) == {"input": "weather in Paris"}  # type: ignore[union-attr]
        # Second turn: the tool result goes back and the model answers from it.
        follow = await sdk.chat.completions.create(
            model=alias,
            messages=[
                {"role": "user", "content": "weather in Paris"},
                message.model_dump(exclude_none=True),  # type: ignore[list-item]
                {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
            ],
            tools=[WEATHER_TOOL],  # type: ignore[list-item]
        )
    assert follow.choices[0].message.content == "Echo: sunny"


@pytest.mark.parametrize("alias", PROVIDER_ALIASES)
async def test_streamed_tool_call(gateway: RunningGateway, alias: str) -> None:
    async with client(gateway) as sdk:
        stream = await sdk.chat.completions.create(
            model=alias,
            messages=[{"role": "user", "content": "weather in Oslo"}],
            tools=[WEATHER_TOOL],  # type: ignore[list-item]
            stream=True,
        )
        name, arguments, finish = "", "", None
        async for chunk in stream:
            for choice in chunk.choices:
                for call in choice.delta.tool_calls or []:
                    if call.function is not None:
                        name += call.function.name or ""
                        arguments += call.function.arguments or ""
                finish = choice.finish_reason or finish
    assert name == "get_weather"
    assert json.loads(arguments) == {"input": "weather in Oslo"}
    assert finish == "tool_calls"


async def test_standard_parameters_reach_the_provider(gateway: RunningGateway, mock) -> None:  # type: ignore[no-untyped-def]
    async with client(gateway) as sdk:
        await sdk.chat.completions.create(
            model="oa",
            messages=[{"role": "user", "content": "hi"}],
            temperature=0.2,
            top_p=0.9,
            max_tokens=50,
            seed=7,
            stop=["END"],
            user="u-1",
            response_format={"type": "json_object"},
        )
    sent = mock.requests[-1]
    body = sent["body"]
    assert body["model"] == "gpt-4o-mini"
    for field, value in [
        ("temperature", 0.2),
        ("top_p", 0.9),
        ("max_tokens", 50),
        ("seed", 7),
        ("stop", ["END"]),
        ("user", "u-1"),
        ("response_format", {"type": "json_object"}),
    ]:
        assert body[field] == value


@pytest.mark.parametrize("alias", PROVIDER_ALIASES)
async def test_provider_gets_its_own_credential_never_the_client_key(
    gateway: RunningGateway,
    mock,
    alias: str,  # type: ignore[no-untyped-def]
) -> None:
    async with client(gateway) as sdk:
        await sdk.chat.completions.create(model=alias, messages=[{"role": "user", "content": "hi"}])
    headers = {k.lower(): v for k, v in mock.requests[-1]["headers"].items()}
    presented = " ".join(headers.values())
    assert PROVIDER_KEY in presented
    assert gateway.key not in presented


async def test_embeddings(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        result = await sdk.embeddings.create(model="emb", input=["one", "two"])
    assert [item.index for item in result.data] == [0, 1]
    assert all(len(item.embedding) > 0 for item in result.data)
    assert result.usage.prompt_tokens > 0


async def test_models_lists_the_aliases_this_key_may_use(gateway: RunningGateway) -> None:
    restricted = await gateway.new_key(models=["oa", "an"])
    async with client(gateway) as sdk:
        everything = {model.id async for model in sdk.models.list()}
        one = await sdk.models.retrieve("oa")
    assert {"oa", "an", "ge", "az", "emb"} <= everything
    assert one.id == "oa"
    async with openai.AsyncOpenAI(base_url=gateway.base_url, api_key=restricted, max_retries=0) as sdk:
        allowed = {model.id async for model in sdk.models.list()}
    assert allowed == {"oa", "an"}


async def test_failover_moves_past_failing_targets(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        reply = await sdk.chat.completions.create(
            model="failover", messages=[{"role": "user", "content": "hi"}]
        )
    assert reply.choices[0].message.content == "Echo: hi"
    record = (await gateway.records())[-1]
    assert record.attempts >= 3  # every target tried (retries may add attempts)
    assert record.provider == "an"


async def test_streams_fail_over_before_the_first_byte(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        stream = await sdk.chat.completions.create(
            model="failover", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "Echo: hi"
