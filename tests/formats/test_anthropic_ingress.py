"""Anthropic requests → canonical, and canonical answers and chunk streams → Anthropic.

Messages and events are checked by the official ``anthropic`` SDK: its models validate the shapes,
and its streaming client reads the translated events from a real local HTTP server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp.web
import anthropic
import pydantic
import pytest
from anthropic.types import Message, RawMessageStreamEvent

from trueport.errors import InvalidRequest
from trueport.formats.anthropic import (
    ChatChunksToMessagesEvents,
    chat_completion_to_message,
    chat_request_to_messages,
    messages_request_to_chat,
)
from trueport.jsonutil import dumps
from trueport.providers.base import Usage

ALIAS = "claude-alias"
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def convert(**request: Any) -> dict[str, Any]:
    request.setdefault("model", ALIAS)
    request.setdefault("max_tokens", 256)
    request.setdefault("messages", [{"role": "user", "content": "Hi"}])
    return messages_request_to_chat(request)


# --- request -----------------------------------------------------------------------------------------


def test_minimal_request() -> None:
    assert convert() == {
        "model": ALIAS,
        "messages": [{"role": "user", "content": "Hi"}],
        "max_completion_tokens": 256,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model", None),
        ("model", ""),
        ("max_tokens", None),
        ("max_tokens", 0),
        ("max_tokens", True),
        ("messages", None),
        ("messages", []),
        ("messages", "Hi"),
    ],
)
def test_required_fields_are_validated_by_name(field: str, value: Any) -> None:
    request = {
        "model": ALIAS,
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "Hi"}],
        field: value,
    }
    if value is None:
        del request[field]
    with pytest.raises(InvalidRequest, match=f"^{field}:") as caught:
        messages_request_to_chat(request)
    assert caught.value.param == field


def test_system_string_blocks_and_system_role() -> None:
    body = convert(
        system=[
            {"type": "text", "text": "Rule one.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Rule two."},
        ],
        messages=[{"role": "system", "content": "Later rule."}, {"role": "user", "content": "Hi"}],
    )
    assert body["messages"][:2] == [
        {"role": "system", "content": "Rule one.\n\nRule two."},
        {"role": "system", "content": "Later rule."},
    ]
    assert convert(system="Be brief.")["messages"][0] == {"role": "system", "content": "Be brief."}


def test_user_blocks_text_and_images() -> None:
    body = convert(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
                ],
            }
        ]
    )
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
            ],
        }
    ]
    single = convert(messages=[{"role": "user", "content": [{"type": "text", "text": "Only text"}]}])
    assert single["messages"] == [{"role": "user", "content": "Only text"}]


def test_tool_use_and_tool_result_blocks() -> None:
    body = convert(
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "I should call the tool", "signature": "sig"},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "18C"}],
                    },
                    {"type": "text", "text": "And tomorrow?"},
                ],
            },
        ]
    )
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
        {"role": "user", "content": "And tomorrow?"},
    ]


def test_tool_result_errors_and_images() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}}
    body = convert(
        messages=[
            {"role": "user", "content": "Go"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t1", "name": "shot", "input": {}},
                    {"type": "tool_use", "id": "t2", "name": "shot", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "disk full", "is_error": True},
                    {
                        "type": "tool_result",
                        "tool_use_id": "t2",
                        "content": [{"type": "text", "text": "ok"}, image],
                    },
                ],
            },
        ]
    )
    assert body["messages"][1]["content"] is None
    assert body["messages"][2:] == [
        {"role": "tool", "tool_call_id": "t1", "content": "Error: disk full"},
        {"role": "tool", "tool_call_id": "t2", "content": "ok"},
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}}],
        },
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}}),
    ],
)
def test_tools_and_tool_choice(choice: dict[str, Any], expected: Any) -> None:
    body = convert(tools=[WEATHER], tool_choice=choice)
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": WEATHER["input_schema"],
                "description": "Weather for a city",
            },
        }
    ]
    assert body["tool_choice"] == expected
    assert "parallel_tool_calls" not in body


def test_disable_parallel_tool_use() -> None:
    body = convert(tools=[WEATHER], tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    assert body["parallel_tool_calls"] is False


@pytest.mark.parametrize(
    "request_part",
    [
        {"tools": [{"type": "web_search_20250305", "name": "web_search"}]},
        {"messages": [{"role": "user", "content": [{"type": "search_result", "source": "x"}]}]},
        {
            "messages": [
                {"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}
            ]
        },
        {"messages": [{"role": "tool", "content": "x"}]},
    ],
)
def test_what_other_targets_cannot_honour_is_refused(request_part: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        convert(**request_part)


def test_sampling_stop_user_and_stream() -> None:
    body = convert(
        temperature=0.2,
        top_p=0.8,
        top_k=5,
        stop_sequences=["END"],
        metadata={"user_id": "u-1"},
        stream=True,
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    assert body == {
        "model": ALIAS,
        "messages": [{"role": "user", "content": "Hi"}],
        "max_completion_tokens": 256,
        "temperature": 0.2,
        "top_p": 0.8,
        "stop": ["END"],
        "user": "u-1",
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_round_trip_through_canonical_keeps_the_conversation() -> None:
    original = {
        "model": ALIAS,
        "max_tokens": 300,
        "system": "Be brief.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "18C"},
                    {"type": "text", "text": "Thanks"},
                ],
            },
        ],
        "tools": [WEATHER],
        "tool_choice": {"type": "any"},
        "stop_sequences": ["END"],
    }
    back = chat_request_to_messages(messages_request_to_chat(original), "claude-target")
    assert back == {**original, "model": "claude-target"}


# --- response ----------------------------------------------------------------------------------------


def completion(message: dict[str, Any], finish_reason: str | None = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish_reason}
        ],
        "usage": {
            "prompt_tokens": 120,
            "completion_tokens": 8,
            "total_tokens": 128,
            "prompt_tokens_details": {"cached_tokens": 100},
        },
    }


def test_completion_with_text_and_tool_calls_becomes_a_message() -> None:
    body = chat_completion_to_message(
        completion(
            {
                "content": "Checking.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            "tool_calls",
        ),
        ALIAS,
    )
    message = Message.model_validate(body)
    assert message.id == "msg_chatcmpl-abc"
    assert message.model == ALIAS
    assert message.stop_reason == "tool_use"
    assert [block.type for block in message.content] == ["text", "tool_use"]
    tool = message.content[1]
    assert tool.type == "tool_use"
    assert (tool.id, tool.name, tool.input) == ("call_1", "get_weather", {"city": "Paris"})
    assert (message.usage.input_tokens, message.usage.output_tokens) == (20, 8)
    assert message.usage.cache_read_input_tokens == 100


@pytest.mark.parametrize(
    ("finish_reason", "stop_reason"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
        (None, "end_turn"),
    ],
)
def test_stop_reasons_map_back(finish_reason: str | None, stop_reason: str) -> None:
    body = chat_completion_to_message(completion({"content": "x"}, finish_reason), ALIAS)
    assert body["stop_reason"] == stop_reason


def test_bad_tool_arguments_are_kept_as_text() -> None:
    body = chat_completion_to_message(
        completion(
            {
                "content": None,
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}},
                    {"id": "d", "type": "function", "function": {"name": "g", "arguments": ""}},
                ],
            },
            "tool_calls",
        ),
        ALIAS,
    )
    assert [block["input"] for block in body["content"]] == [{"_arguments": "{oops"}, {}]


# --- stream ------------------------------------------------------------------------------------------


def chunk(
    delta: dict[str, Any] | None = None, finish_reason: str | None = None, **extra: Any
) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    return {
        "id": "chatcmpl-xyz",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": choices,
        **extra,
    }


FINAL_USAGE = Usage(prompt_tokens=50, completion_tokens=6, cached_tokens=20)
USAGE_CHUNK = chunk(usage={"prompt_tokens": 50, "completion_tokens": 6, "total_tokens": 56})

TEXT_CHUNKS = [
    chunk({"role": "assistant"}),  # the role alone, as OpenAI's first chunk
    chunk({"content": "Hello"}),
    chunk({"content": ", world"}),
    chunk({}, "stop"),
    USAGE_CHUNK,  # usage only at the very end
]

TOOL_CHUNKS = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Checking."}),
    chunk(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_A",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        }
    ),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
    chunk(
        {
            "tool_calls": [
                {
                    "index": 1,
                    "id": "call_B",
                    "type": "function",
                    "function": {"name": "now", "arguments": "{}"},
                }
            ]
        }
    ),
    chunk({}, "tool_calls"),
    USAGE_CHUNK,
]


def translate(chunks: list[dict[str, Any]], usage: Usage = FINAL_USAGE) -> list[tuple[str, dict[str, Any]]]:
    translator = ChatChunksToMessagesEvents(ALIAS)
    events = [event for c in chunks for event in translator.feed(c)]
    events += translator.finish(usage)
    assert translator.finished
    assert translator.finish(usage) == []
    return events


def test_text_event_sequence() -> None:
    events = translate(TEXT_CHUNKS)
    assert [name for name, _ in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    adapter: pydantic.TypeAdapter[RawMessageStreamEvent] = pydantic.TypeAdapter(RawMessageStreamEvent)
    for name, data in events:
        assert adapter.validate_python(data).type == name
    assert events[0][1]["message"]["id"] == "msg_chatcmpl-xyz"
    assert events[-2][1] == {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {
            "input_tokens": 30,
            "output_tokens": 6,
            "cache_read_input_tokens": 20,
            "cache_creation_input_tokens": 0,
        },
    }


def test_tool_call_event_sequence() -> None:
    events = translate(TOOL_CHUNKS)
    starts = [data["content_block"] for name, data in events if name == "content_block_start"]
    assert starts == [
        {"type": "text", "text": ""},
        {"type": "tool_use", "id": "call_A", "name": "get_weather", "input": {}},
        {"type": "tool_use", "id": "call_B", "name": "now", "input": {}},
    ]
    stops = [data["index"] for name, data in events if name == "content_block_stop"]
    assert stops == [0, 1, 2]
    fragments = [
        data["delta"]["partial_json"]
        for name, data in events
        if name == "content_block_delta" and data["index"] == 1
    ]
    assert "".join(fragments) == '{"city": "Paris"}'
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


def test_finish_without_chunks_is_still_a_valid_message() -> None:
    events = translate([])
    assert [name for name, _ in events] == ["message_start", "message_delta", "message_stop"]


# The official SDK reading the events from a real HTTP server.


@pytest.fixture
async def serve_events() -> AsyncIterator[Callable[[list[dict[str, Any]]], str]]:
    """Start a local server whose /v1/messages streams the translation of the given chunks."""
    state: dict[str, Any] = {}

    async def messages(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        state["request"] = await request.json()
        response = aiohttp.web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for name, data in translate(state["chunks"]):
            await response.write(b"event: " + name.encode() + b"\ndata: " + dumps(data) + b"\n\n")
        await response.write_eof()
        return response

    app = aiohttp.web.Application()
    app.router.add_post("/v1/messages", messages)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]

    def serve(chunks: list[dict[str, Any]]) -> str:
        state["chunks"] = chunks
        return f"http://{host}:{port}"

    yield serve
    await runner.cleanup()


def sdk(base_url: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=base_url, api_key="test-key", max_retries=0)


async def test_sdk_streams_a_text_answer(serve_events: Callable[[list[dict[str, Any]]], str]) -> None:
    async with (
        sdk(serve_events(TEXT_CHUNKS)) as client,
        client.messages.stream(
            model=ALIAS, max_tokens=100, messages=[{"role": "user", "content": "Hi"}]
        ) as stream,
    ):
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "Hello, world"
    assert final.content[0].type == "text"
    assert final.content[0].text == "Hello, world"
    assert final.stop_reason == "end_turn"
    assert final.model == ALIAS
    assert (final.usage.input_tokens, final.usage.output_tokens) == (30, 6)
    assert final.usage.cache_read_input_tokens == 20


async def test_sdk_streams_tool_calls(serve_events: Callable[[list[dict[str, Any]]], str]) -> None:
    async with (
        sdk(serve_events(TOOL_CHUNKS)) as client,
        client.messages.stream(
            model=ALIAS, max_tokens=100, messages=[{"role": "user", "content": "Weather?"}]
        ) as stream,
    ):
        final = await stream.get_final_message()
    assert [block.type for block in final.content] == ["text", "tool_use", "tool_use"]
    first, second = final.content[1], final.content[2]
    assert first.type == "tool_use"
    assert second.type == "tool_use"
    assert (first.id, first.name, first.input) == ("call_A", "get_weather", {"city": "Paris"})
    assert (second.id, second.name, second.input) == ("call_B", "now", {})
    assert final.stop_reason == "tool_use"


async def test_sdk_create_stream_true(serve_events: Callable[[list[dict[str, Any]]], str]) -> None:
    async with sdk(serve_events(TEXT_CHUNKS)) as client:
        stream = await client.messages.create(
            model=ALIAS, max_tokens=100, messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        types = [event.type async for event in stream]
    assert types == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
