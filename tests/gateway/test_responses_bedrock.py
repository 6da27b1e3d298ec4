"""The openai SDK's ``client.responses`` through the gateway to Amazon Bedrock targets on the emulator
(translated to chat, then to Converse; the emulator verifies every SigV4 signature)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from tests.gateway.harness import RunningGateway, gateway_settings, running_gateway
from tests.gateway.test_bedrock_sdk import CLAUDE, bedrock

from trueport.mockprovider import MockProvider

TOOL = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture
async def gateway(database_url: str, mock: MockProvider) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(
        database_url,
        mock.url,
        providers={"br": bedrock(mock.url)},
        models={"br": [{"provider": "br", "model": CLAUDE}]},
    )
    async with running_gateway(settings) as running:
        yield running


def client(gateway: RunningGateway) -> Any:
    return openai.AsyncOpenAI(base_url=gateway.base_url, api_key=gateway.key, max_retries=0)


async def test_create_and_stream(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        response = await sdk.responses.create(model="br", instructions="Be brief.", input="Hello there")
        stream = await sdk.responses.create(model="br", input="stream this please", stream=True)
        events = [event async for event in stream]
    assert response.output_text == "Echo: Hello there"
    assert response.usage.output_tokens > 0
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Echo: stream this please"
    assert events[-1].type == "response.completed"
    records = await gateway.records()
    assert [(r.endpoint, r.provider, r.status_code) for r in records] == [
        ("/v1/responses", "br", 200),
        ("/v1/responses", "br", 200),
    ]
    assert records[-1].completion_tokens == events[-1].response.usage.output_tokens


async def test_function_call_round_trip(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        first = await sdk.responses.create(model="br", input="weather in Lima", tools=[TOOL])
        [call] = [item for item in first.output if item.type == "function_call"]
        assert json.loads(call.arguments) == {"input": "weather in Lima"}
        follow = await sdk.responses.create(
            model="br",
            tools=[TOOL],
            input=[
                {"role": "user", "content": "weather in Lima"},
                {
                    "type": "function_call",
                    "call_id": call.call_id,
                    "name": call.name,
                    "arguments": call.arguments,
                },
                {"type": "function_call_output", "call_id": call.call_id, "output": "foggy"},
            ],
        )
    assert follow.output_text == "Echo: foggy"


async def test_what_only_openai_serves_is_400(gateway: RunningGateway) -> None:
    async with client(gateway) as sdk:
        with pytest.raises(openai.BadRequestError) as refused:
            await sdk.responses.create(model="br", input="hi", previous_response_id="resp_1")
    error = refused.value.body
    assert isinstance(error, dict)
    assert (error["param"], error["code"]) == ("previous_response_id", "unsupported_for_target")
