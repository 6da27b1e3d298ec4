"""The emulator's Responses API, read by the official openai SDK: answers, events, memory, faults."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import openai
import pytest
from openai import AsyncOpenAI

from trueport.mockprovider import MockProvider

OPENAI = {"Authorization": "Bearer k"}
TOOL = {"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {}}}


async def test_plain_answer(openai_client: AsyncOpenAI) -> None:
    response = await openai_client.responses.create(
        model="gpt-4o", instructions="Be brief.", input="Hello there"
    )
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.output_text == "Echo: Hello there"
    assert response.usage is not None
    assert response.usage.input_tokens == 4  # "Be brief." + "Hello there": words
    assert response.usage.output_tokens == 3
    assert response.usage.total_tokens == 7


async def test_stream_event_sequence(openai_client: AsyncOpenAI) -> None:
    stream = await openai_client.responses.create(model="gpt-4o", input="one two three", stream=True)
    events: list[Any] = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert "".join(deltas) == "Echo: one two three"
    assert len(deltas) == 4
    assert events[-1].response.output_text == "Echo: one two three"


async def test_function_call_and_its_output(openai_client: AsyncOpenAI) -> None:
    client: Any = openai_client
    first = await client.responses.create(model="gpt-4o", input="find cats", tools=[TOOL])
    [call] = first.output
    assert call.type == "function_call"
    assert call.name == "lookup"
    assert json.loads(call.arguments) == {"input": "find cats"}
    follow = await client.responses.create(
        model="gpt-4o",
        tools=[TOOL],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "three cats"}],
        previous_response_id=first.id,
    )
    assert follow.output_text == "Echo: three cats"


async def test_streamed_function_call(openai_client: AsyncOpenAI) -> None:
    client: Any = openai_client
    stream = await client.responses.create(model="gpt-4o", input="find dogs", tools=[TOOL], stream=True)
    events = [event async for event in stream]
    arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"input": "find dogs"}
    assert events[-1].response.output[0].type == "function_call"


async def test_previous_response_id_is_remembered(openai_client: AsyncOpenAI) -> None:
    first = await openai_client.responses.create(model="gpt-4o", input="one two three")
    second = await openai_client.responses.create(model="gpt-4o", input="four", previous_response_id=first.id)
    assert second.output_text == "Echo: four"
    assert second.previous_response_id == first.id
    assert second.usage is not None
    # one two three + Echo: one two three + four
    assert second.usage.input_tokens == 3 + 4 + 1


async def test_unknown_previous_response_id_is_400(openai_client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        await openai_client.responses.create(model="gpt-4o", input="x", previous_response_id="resp_nope")
    assert "not found" in refused.value.message


async def test_max_output_tokens_cuts_the_answer(openai_client: AsyncOpenAI) -> None:
    response = await openai_client.responses.create(model="gpt-4o", input="a b c d", max_output_tokens=2)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "Echo: a"


async def test_status_fault(openai_client: AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        await openai_client.responses.create(model="gpt-4o+status=503", input="x")
    assert caught.value.status_code == 503


async def test_cut_fault_drops_the_stream_before_it_completes(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    body = {"model": "gpt-4o+cut=2", "input": "one two three four", "stream": True}
    lines: list[bytes] = []
    broken = False
    async with http.post(f"{mock.url}/v1/responses", json=body, headers=OPENAI) as response:
        assert response.status == 200
        try:
            async for line in response.content:
                lines.append(line)
        except aiohttp.ClientPayloadError:
            broken = True
    text = b"".join(lines)
    assert broken
    assert text.count(b"event: response.output_text.delta") == 2
    assert b"response.completed" not in text


async def test_usage_fault(openai_client: AsyncOpenAI) -> None:
    response = await openai_client.responses.create(model="gpt-4o+usage=11,5", input="x")
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (11, 5)


async def test_missing_key_is_401(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{mock.url}/v1/responses", json={"model": "m", "input": "x"}) as response:
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "invalid_api_key"
