"""The OpenAI routes, through the official SDK."""

from __future__ import annotations

import array
import base64

import aiohttp
import openai
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionToolParam

from trueport.mockprovider import MockProvider
from trueport.mockprovider.vectors import embed

TOOLS: list[ChatCompletionToolParam] = [
    {"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "fetch", "parameters": {"type": "object"}}},
]


async def test_chat_echoes_the_last_user_message(openai_client: AsyncOpenAI) -> None:
    completion = await openai_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "be nice"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "hello big world"}]},
        ],
    )
    assert completion.model == "gpt-4o-mini"
    assert completion.object == "chat.completion"
    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content, choice.finish_reason) == (
        "assistant",
        "Echo: hello big world",
        "stop",
    )
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (7, 4)
    assert completion.usage.total_tokens == 11


async def test_max_tokens_truncates_with_finish_reason_length(openai_client: AsyncOpenAI) -> None:
    completion = await openai_client.chat.completions.create(
        model="m", max_tokens=3, messages=[{"role": "user", "content": "one two three four"}]
    )
    assert completion.choices[0].message.content == "Echo: one two"
    assert completion.choices[0].finish_reason == "length"


async def test_stream_sends_words_and_a_final_usage_chunk(openai_client: AsyncOpenAI) -> None:
    stream = await openai_client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "hello big world"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    texts = [c.choices[0].delta.content for c in chunks[1:] if c.choices and c.choices[0].delta.content]
    assert texts == ["Echo:", " hello", " big", " world"]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (3, 4)
    assert all(c.usage is None for c in chunks[:-1])
    assert {c.model for c in chunks} == {"gpt-4o"}


async def test_stream_without_include_usage_has_no_usage_chunk(openai_client: AsyncOpenAI) -> None:
    stream = await openai_client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    chunks = [chunk async for chunk in stream]
    assert all(chunk.choices for chunk in chunks)
    assert all(chunk.usage is None for chunk in chunks)


async def test_raw_stream_ends_with_done(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/v1/chat/completions",
        json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": "Bearer k"},
    ) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        body = await response.read()
    assert body.endswith(b"data: [DONE]\n\n")
    assert body.count(b"data: ") == 5  # role, "Echo:", " hi", finish, [DONE]


async def test_tools_are_called_with_the_user_text(openai_client: AsyncOpenAI) -> None:
    completion = await openai_client.chat.completions.create(
        model="m",
        tools=TOOLS,
        messages=[{"role": "user", "content": "find cats"}],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert (call.function.name, call.function.arguments) == ("search", '{"input":"find cats"}')


async def test_a_named_tool_choice_is_honoured(openai_client: AsyncOpenAI) -> None:
    completion = await openai_client.chat.completions.create(
        model="m",
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "fetch"}},
        messages=[{"role": "user", "content": "x"}],
    )
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert calls[0].type == "function"
    assert calls[0].function.name == "fetch"


async def test_tool_choice_none_answers_in_text(openai_client: AsyncOpenAI) -> None:
    completion = await openai_client.chat.completions.create(
        model="m",
        tools=TOOLS,
        tool_choice="none",
        messages=[{"role": "user", "content": "x"}],
    )
    assert completion.choices[0].message.content == "Echo: x"
    assert completion.choices[0].message.tool_calls is None


async def test_a_tool_result_is_echoed(openai_client: AsyncOpenAI) -> None:
    completion = await openai_client.chat.completions.create(
        model="m",
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "find cats"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "search", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "three cats"},
        ],
    )
    assert completion.choices[0].message.content == "Echo: three cats"
    assert completion.choices[0].finish_reason == "stop"


async def test_streamed_tool_call_arguments_join_up(openai_client: AsyncOpenAI) -> None:
    stream = await openai_client.chat.completions.create(
        model="m",
        tools=TOOLS,
        stream=True,
        messages=[{"role": "user", "content": "find big cats"}],
    )
    chunks = [chunk async for chunk in stream]
    first = chunks[0].choices[0].delta.tool_calls
    assert first is not None
    assert first[0].function is not None
    assert first[0].function.name == "search"
    assert first[0].id is not None
    assert first[0].id.startswith("call_")
    arguments = "".join(
        call.function.arguments or ""
        for chunk in chunks
        for call in chunk.choices[0].delta.tool_calls or []
        if call.function
    )
    assert arguments == '{"input":"find big cats"}'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_embeddings_default_to_eight_deterministic_floats(openai_client: AsyncOpenAI) -> None:
    result = await openai_client.embeddings.create(
        model="text-embedding-3-small", input=["a b", "c"], encoding_format="float"
    )
    assert [item.index for item in result.data] == [0, 1]
    assert result.data[0].embedding == embed("a b", 8)
    assert result.data[1].embedding == embed("c", 8)
    assert result.model == "text-embedding-3-small"
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (3, 3)


async def test_embeddings_honour_dimensions_and_base64(openai_client: AsyncOpenAI) -> None:
    # Without encoding_format the SDK asks for base64 and decodes it itself.
    result = await openai_client.embeddings.create(model="e", input="hello", dimensions=16)
    assert len(result.data[0].embedding) == 16
    assert result.data[0].embedding == embed("hello", 16)


async def test_embeddings_base64_is_little_endian_float32(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{mock.url}/v1/embeddings",
        headers={"Authorization": "Bearer k"},
        json={"model": "e", "input": "hi", "encoding_format": "base64"},
    ) as response:
        data = (await response.json())["data"][0]["embedding"]
    assert array.array("f", base64.b64decode(data)).tolist() == embed("hi", 8)


async def test_models_are_listed(openai_client: AsyncOpenAI) -> None:
    ids = [model.id async for model in openai_client.models.list()]
    assert "gpt-4o" in ids
    assert (await openai_client.models.retrieve("anything")).id == "anything"


async def test_a_bad_request_gets_the_openai_error_shape(openai_client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await openai_client.chat.completions.create(model="m", messages=[])
    assert caught.value.status_code == 400
    assert caught.value.body == {
        "message": "'messages' must be a non-empty array",
        "type": "invalid_request_error",
        "param": "messages",
        "code": None,
    }


async def test_an_unknown_route_is_a_404_in_openai_shape(openai_client: AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await openai_client.completions.create(model="m", prompt="x")
    assert caught.value.code == "unknown_url"


@pytest.mark.parametrize(
    ("value", "count", "tokens"),
    [("x y", 1, 2), (["a", "b"], 2, 2), ([1, 2, 3], 1, 3), ([[1, 2], [3]], 2, 3)],
)
async def test_embedding_inputs(
    mock: MockProvider, http: aiohttp.ClientSession, value: object, count: int, tokens: int
) -> None:
    async with http.post(
        f"{mock.url}/v1/embeddings",
        headers={"Authorization": "Bearer k"},
        json={"model": "e", "input": value},
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert len(body["data"]) == count
    assert body["usage"]["prompt_tokens"] == tokens


@pytest.mark.parametrize("value", [[], [[]], [1, "a"], [["a"]], None, 5])
async def test_bad_embedding_inputs_are_refused(
    mock: MockProvider, http: aiohttp.ClientSession, value: object
) -> None:
    async with http.post(
        f"{mock.url}/v1/embeddings",
        headers={"Authorization": "Bearer k"},
        json={"model": "e", "input": value},
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"]["param"] == "input"
