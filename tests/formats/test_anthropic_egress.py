"""Canonical (OpenAI chat) → Anthropic requests, and Anthropic answers and streams → canonical.

Answers are checked by the official ``openai`` SDK's own models and stream accumulator, so a shape the
SDK would not accept fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from trueport.errors import InvalidRequest, UpstreamStreamBroken
from trueport.formats.anthropic import (
    DEFAULT_MAX_TOKENS,
    MessagesEventsToChatChunks,
    chat_request_to_messages,
    message_to_chat_completion,
    usage_from_anthropic,
)
from trueport.providers.base import Usage

MODEL = "claude-sonnet-4-5"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def convert(**request: Any) -> dict[str, Any]:
    request.setdefault("messages", [{"role": "user", "content": "Hi"}])
    return chat_request_to_messages(request, MODEL)


# --- request -----------------------------------------------------------------------------------------


def test_minimal_request_gets_model_and_default_max_tokens() -> None:
    body = convert(model="alias")
    assert body == {
        "model": MODEL,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "max_tokens": DEFAULT_MAX_TOKENS,
    }


def test_system_and_developer_messages_become_top_level_system() -> None:
    body = convert(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
        ]
    )
    assert body["system"] == "Be brief.\n\nAnswer in French."
    assert [m["role"] for m in body["messages"]] == ["user"]


def test_system_part_with_cache_control_keeps_block_form() -> None:
    marker = {"type": "ephemeral"}
    body = convert(
        messages=[
            {"role": "system", "content": [{"type": "text", "text": "Long rules", "cache_control": marker}]},
            {"role": "user", "content": "Hi"},
        ]
    )
    assert body["system"] == [{"type": "text", "text": "Long rules", "cache_control": marker}]


def test_consecutive_same_role_messages_are_merged_and_empty_ones_dropped() -> None:
    body = convert(
        messages=[
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": [{"type": "text", "text": "two"}]},
            {"role": "assistant", "content": "three"},
            {"role": "assistant", "content": "four"},
            {"role": "user", "content": "five"},
        ]
    )
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "three"}, {"type": "text", "text": "four"}],
        },
        {"role": "user", "content": [{"type": "text", "text": "five"}]},
    ]


def test_images_and_pdf_become_anthropic_blocks() -> None:
    body = convert(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"},
                    },
                    {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0="}},
                ],
            }
        ]
    )
    assert body["messages"][0]["content"][1:] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
        },
    ]


@pytest.mark.parametrize(
    "part",
    [
        {"type": "image_url", "image_url": {"url": "ftp://example.com/cat.jpg"}},
        {"type": "image_url", "image_url": {"url": "data:image/png,notbase64"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "file", "file": {"file_id": "file-123"}},
    ],
)
def test_parts_anthropic_cannot_take_are_refused(part: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest, match=r"messages\[0\]\.content\[0\]"):
        convert(messages=[{"role": "user", "content": [part]}])


def test_tools_become_input_schemas() -> None:
    bare = {"type": "function", "function": {"name": "now"}}
    body = convert(tools=[WEATHER, bare])
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": WEATHER["function"]["parameters"],  # type: ignore[index]
        },
        {"name": "now", "input_schema": {"type": "object", "properties": {}}},
    ]
    assert "tool_choice" not in body


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
    ],
)
def test_tool_choice_mapping(choice: Any, expected: dict[str, Any]) -> None:
    assert convert(tools=[WEATHER], tool_choice=choice)["tool_choice"] == expected


def test_parallel_tool_calls_false_disables_parallel_use() -> None:
    body = convert(tools=[WEATHER], parallel_tool_calls=False)
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_tool_calls_and_results_round_trip_into_blocks() -> None:
    body = convert(
        messages=[
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "24C"}]},
            {"role": "user", "content": "Thanks"},
        ],
        tools=[WEATHER],
    )
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Rome"}},
        ],
    }
    # All results of one turn in the next user turn, before its text, as Anthropic requires.
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
            {"type": "tool_result", "tool_use_id": "call_2", "content": [{"type": "text", "text": "24C"}]},
            {"type": "text", "text": "Thanks"},
        ],
    }
    assert len(body["messages"]) == 3


def test_text_before_tool_results_is_moved_after_them() -> None:
    body = convert(
        messages=[
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
                ],
            },
            {"role": "user", "content": "(waiting)"},
            {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        ]
    )
    assert [block["type"] for block in body["messages"][2]["content"]] == ["tool_result", "text"]
    assert body["messages"][1]["content"][0]["input"] == {}


@pytest.mark.parametrize("arguments", ["{not json", "[1, 2]"])
def test_tool_call_arguments_must_be_a_json_object(arguments: str) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    with pytest.raises(InvalidRequest, match=r"tool_calls\[0\]\.function\.arguments"):
        convert(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [call]}])


def test_sampling_limits_stop_user_and_stream() -> None:
    body = convert(
        max_tokens=100,
        max_completion_tokens=200,
        temperature=1.7,
        top_p=0.9,
        stop="END",
        user="user-42",
        stream=True,
        stream_options={"include_usage": True},
        presence_penalty=0.5,
        frequency_penalty=0.5,
        seed=7,
        logit_bias={"50256": -100},
        response_format={"type": "json_object"},
        n=1,
    )
    assert body == {
        "model": MODEL,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "max_tokens": 200,
        "temperature": 1.0,  # clamped; top_p left out, as Claude refuses both together
        "stop_sequences": ["END"],
        "metadata": {"user_id": "user-42"},
        "stream": True,
    }
    assert convert(stop=["a", "b"], max_tokens=50)["stop_sequences"] == ["a", "b"]
    assert convert(max_tokens=50)["max_tokens"] == 50
    assert convert(top_p=0.5)["top_p"] == 0.5


@pytest.mark.parametrize(
    ("field", "value", "param"),
    [
        ("n", 2, "n"),
        ("logprobs", True, "logprobs"),
        ("modalities", ["text", "audio"], "modalities"),
        (
            "response_format",
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
            "response_format",
        ),
        ("max_tokens", 0, "max_tokens"),
        ("tool_choice", {"type": "allowed_tools"}, "tool_choice"),
    ],
)
def test_what_cannot_be_honoured_is_refused(field: str, value: Any, param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        convert(**{field: value}, tools=[WEATHER])
    assert caught.value.param == param


@pytest.mark.parametrize(
    "messages",
    [[], [{"role": "function", "name": "f", "content": "x"}], [{"role": "tool", "content": "no id"}]],
)
def test_malformed_messages_are_refused(messages: list[Any]) -> None:
    with pytest.raises(InvalidRequest, match="messages"):
        convert(messages=messages)


# --- response ----------------------------------------------------------------------------------------


def anthropic_message(content: list[dict[str, Any]], stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
        },
    }


def test_message_with_text_and_tool_use_becomes_a_completion() -> None:
    message = anthropic_message(
        [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Let me check. "},
            {"type": "text", "text": "One moment."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        ],
        stop_reason="tool_use",
    )
    body = message_to_chat_completion(message, created=1_700_000_000)
    completion = ChatCompletion.model_validate(body)
    assert completion.id == "msg_01"
    assert completion.created == 1_700_000_000
    assert completion.model == MODEL
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Let me check. One moment."
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert (call.id, call.function.name, call.function.arguments) == (
        "toolu_1",
        "get_weather",
        '{"city":"Paris"}',
    )
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 130
    assert completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == 135
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 100


def test_tool_only_message_has_null_content() -> None:
    body = message_to_chat_completion(
        anthropic_message([{"type": "tool_use", "id": "t", "name": "now", "input": {}}], "tool_use")
    )
    assert body["choices"][0]["message"]["content"] is None
    assert body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == "{}"


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("some_future_reason", "stop"),
    ],
)
def test_stop_reasons(stop_reason: str, finish_reason: str) -> None:
    body = message_to_chat_completion(anthropic_message([{"type": "text", "text": "x"}], stop_reason))
    assert body["choices"][0]["finish_reason"] == finish_reason


def test_usage_from_anthropic_counts_cache_reads_and_writes_as_prompt() -> None:
    usage = usage_from_anthropic(
        {
            "input_tokens": 3,
            "output_tokens": 7,
            "cache_read_input_tokens": 40,
            "cache_creation_input_tokens": 5,
        }
    )
    assert usage == Usage(prompt_tokens=48, completion_tokens=7, cached_tokens=40)
    assert usage_from_anthropic(None) == Usage()
    assert usage_from_anthropic({"input_tokens": 2, "cache_read_input_tokens": None}) == Usage(
        prompt_tokens=2
    )


# --- stream ------------------------------------------------------------------------------------------


def message_start(input_tokens: int = 25, cache_read: int = 0) -> tuple[str, dict[str, Any]]:
    message = anthropic_message([], stop_reason="")
    message.update(
        stop_reason=None,
        usage={
            "input_tokens": input_tokens,
            "output_tokens": 1,
            "cache_read_input_tokens": cache_read,
            "cache_creation_input_tokens": 0,
        },
    )
    return "message_start", {"type": "message_start", "message": message}


def block_start(index: int, block: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_start", {"type": "content_block_start", "index": index, "content_block": block}


def delta(index: int, value: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": value}


def block_stop(index: int) -> tuple[str, dict[str, Any]]:
    return "content_block_stop", {"type": "content_block_stop", "index": index}


def message_end(stop_reason: str, output_tokens: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


TEXT_EVENTS = [
    message_start(input_tokens=25, cache_read=10),
    block_start(0, {"type": "text", "text": ""}),
    ("ping", {"type": "ping"}),
    delta(0, {"type": "text_delta", "text": "Hello"}),
    delta(0, {"type": "text_delta", "text": ", world"}),
    block_stop(0),
    *message_end("end_turn", 12),
]

TOOL_EVENTS = [
    message_start(),
    block_start(0, {"type": "text", "text": ""}),
    delta(0, {"type": "text_delta", "text": "Checking."}),
    block_stop(0),
    block_start(1, {"type": "tool_use", "id": "toolu_A", "name": "get_weather", "input": {}}),
    delta(1, {"type": "input_json_delta", "partial_json": ""}),
    delta(1, {"type": "input_json_delta", "partial_json": '{"city": '}),
    delta(1, {"type": "input_json_delta", "partial_json": '"Paris"}'}),
    block_stop(1),
    block_start(2, {"type": "tool_use", "id": "toolu_B", "name": "now", "input": {}}),
    block_stop(2),
    *message_end("tool_use", 30),
]


def run(events: list[tuple[str, dict[str, Any]]]) -> tuple[list[dict[str, Any]], MessagesEventsToChatChunks]:
    translator = MessagesEventsToChatChunks("test-provider", created=1_700_000_000)
    chunks = [chunk for name, data in events for chunk in translator.feed(name, data)]
    return chunks, translator


def accumulate(chunks: list[dict[str, Any]]) -> Any:
    """What the openai SDK makes of the chunks (it validates each one as it goes)."""
    state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    return state.get_final_completion()


def test_streamed_text_answer() -> None:
    chunks, translator = run(TEXT_EVENTS)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [c["choices"][0]["delta"].get("content") for c in chunks[1:3]] == ["Hello", ", world"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 35,
        "completion_tokens": 12,
        "total_tokens": 47,
        "prompt_tokens_details": {"cached_tokens": 10},
    }
    assert all(c["id"] == "msg_01" and c["object"] == "chat.completion.chunk" for c in chunks)
    assert translator.finished
    assert translator.usage == Usage(prompt_tokens=35, completion_tokens=12, cached_tokens=10)
    final = accumulate(chunks)
    assert final.choices[0].message.content == "Hello, world"
    assert final.choices[0].finish_reason == "stop"


def test_streamed_tool_calls() -> None:
    chunks, translator = run(TOOL_EVENTS)
    opening = chunks[2]["choices"][0]["delta"]["tool_calls"][0]
    assert opening == {
        "index": 0,
        "id": "toolu_A",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    final = accumulate(chunks)
    message = final.choices[0].message
    assert message.content == "Checking."
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("toolu_A", "get_weather", '{"city": "Paris"}'),
        ("toolu_B", "now", "{}"),  # no input_json_delta at all: still valid JSON
    ]
    assert final.choices[0].finish_reason == "tool_calls"
    assert translator.usage.completion_tokens == 30


def test_not_finished_until_message_stop() -> None:
    _chunks, translator = run(TEXT_EVENTS[:-1])
    assert not translator.finished


def test_message_delta_usage_replaces_cumulative_counts() -> None:
    events = [message_start(input_tokens=25), *message_end("max_tokens", 9)]
    events[1][1]["usage"].update(input_tokens=30, cache_read_input_tokens=4)
    chunks, translator = run(events)
    assert translator.usage == Usage(prompt_tokens=34, completion_tokens=9, cached_tokens=4)
    assert chunks[1]["choices"][0]["finish_reason"] == "length"


def test_pings_thinking_and_unknown_events_produce_nothing() -> None:
    translator = MessagesEventsToChatChunks()
    translator.feed(*message_start())
    assert translator.feed("ping", {"type": "ping"}) == []
    assert translator.feed(*block_start(0, {"type": "thinking", "thinking": ""})) == []
    assert translator.feed(*delta(0, {"type": "thinking_delta", "thinking": "hmm"})) == []
    assert translator.feed(*block_stop(0)) == []
    assert translator.feed("brand_new_event", {"type": "brand_new_event"}) == []


def test_error_event_raises_stream_broken() -> None:
    translator = MessagesEventsToChatChunks("claude-main")
    translator.feed(*message_start())
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(UpstreamStreamBroken, match="overloaded_error: Overloaded") as caught:
        translator.feed("error", error)
    assert caught.value.provider == "claude-main"
    assert caught.value.retryable is False
