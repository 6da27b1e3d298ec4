"""Responses API requests → canonical chat, and chat answers → ``response`` objects."""

from __future__ import annotations

from typing import Any

import pytest

from trueport.errors import InvalidRequest
from trueport.formats.responses import (
    Untranslatable,
    chat_completion_to_response,
    check_responses_request,
    responses_request_to_chat,
)
from trueport.providers.base import Usage


def test_string_input_and_instructions() -> None:
    chat = responses_request_to_chat(
        {
            "model": "m",
            "instructions": "Be brief.",
            "input": "Hello",
            "max_output_tokens": 50,
            "temperature": 0.2,
        }
    )
    assert chat == {
        "model": "m",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}],
        "max_completion_tokens": 50,
        "temperature": 0.2,
    }


def test_message_items_with_parts_and_developer_role() -> None:
    chat = responses_request_to_chat(
        {
            "model": "m",
            "input": [
                {"type": "message", "role": "developer", "content": "Rules."},
                {"role": "user", "content": [{"type": "input_text", "text": "Look"}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "at this"},
                        {"type": "input_image", "image_url": "https://x/y.png", "detail": "low"},
                    ],
                },
                {"role": "assistant", "content": [{"type": "output_text", "text": "Seen."}]},
            ],
        }
    )
    assert chat["messages"] == [
        {"role": "system", "content": "Rules."},
        {"role": "user", "content": "Look"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "at this"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}},
            ],
        },
        {"role": "assistant", "content": "Seen."},
    ]


def test_function_calls_and_outputs_become_tool_calls_and_tool_messages() -> None:
    chat = responses_request_to_chat(
        {
            "model": "m",
            "input": [
                {"role": "user", "content": "weather?"},
                {"type": "function_call", "call_id": "c1", "name": "w", "arguments": '{"city":"A"}'},
                {"type": "function_call", "call_id": "c2", "name": "w", "arguments": '{"city":"B"}'},
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
                {
                    "type": "function_call_output",
                    "call_id": "c2",
                    "output": [{"type": "input_text", "text": "rain"}],
                },
            ],
            "tools": [{"type": "function", "name": "w", "parameters": {"type": "object"}, "strict": True}],
            "tool_choice": {"type": "function", "name": "w"},
        }
    )
    assert chat["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "w", "arguments": '{"city":"A"}'}},
            {"id": "c2", "type": "function", "function": {"name": "w", "arguments": '{"city":"B"}'}},
        ],
    }
    assert chat["messages"][2:] == [
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "c2", "content": "rain"},
    ]
    assert chat["tools"] == [
        {"type": "function", "function": {"name": "w", "parameters": {"type": "object"}, "strict": True}}
    ]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "w"}}


def test_text_formats_become_response_formats() -> None:
    schema = {"type": "json_schema", "name": "x", "schema": {"type": "object"}, "strict": True}
    chat = responses_request_to_chat({"model": "m", "input": "hi", "text": {"format": schema}})
    assert chat["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": True},
    }
    chat = responses_request_to_chat(
        {"model": "m", "input": "hi", "text": {"format": {"type": "json_object"}}}
    )
    assert chat["response_format"] == {"type": "json_object"}
    assert "response_format" not in responses_request_to_chat(
        {"model": "m", "input": "hi", "text": {"format": {"type": "text"}}}
    )


def test_stream_asks_for_usage() -> None:
    chat = responses_request_to_chat({"model": "m", "input": "hi", "stream": True})
    assert chat["stream"] is True
    assert chat["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"store": True}, "store"),
        ({"background": True}, "background"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"include": ["reasoning.encrypted_content"]}, "include"),
        ({"reasoning": {"effort": "high"}}, "reasoning"),
        ({"truncation": "auto"}, "truncation"),
        ({"tools": [{"type": "web_search"}]}, "tools[0]"),
        ({"tools": [{"type": "file_search", "vector_store_ids": ["v"]}]}, "tools[0]"),
        ({"tool_choice": {"type": "web_search"}}, "tool_choice"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0]"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
            "input[0].content[0]",
        ),
        ({"max_tool_calls": 3}, "max_tool_calls"),
    ],
)
def test_what_chat_cannot_express_is_untranslatable(extra: dict[str, Any], param: str) -> None:
    request = {"model": "m", "input": "hi", **extra}
    with pytest.raises(Untranslatable) as refused:
        responses_request_to_chat(request)
    assert refused.value.param == param
    assert refused.value.status == 400
    assert "only OpenAI targets" in refused.value.message


@pytest.mark.parametrize(
    "extra",
    [{"store": False}, {"background": False}, {"include": []}, {"metadata": {"a": "b"}}, {"reasoning": None}],
)
def test_harmless_values_are_accepted(extra: dict[str, Any]) -> None:
    assert responses_request_to_chat({"model": "m", "input": "hi", **extra})["messages"]


@pytest.mark.parametrize(
    ("request_body", "param"),
    [
        ({"model": "m"}, "input"),
        ({"model": "m", "input": 3}, "input"),
        ({"model": "m", "input": [1]}, "input[0]"),
        ({"model": "m", "input": "x", "instructions": 5}, "instructions"),
        ({"model": "m", "input": "x", "tools": {}}, "tools"),
        ({"model": "m", "input": "x", "max_output_tokens": -1}, "max_output_tokens"),
        ({"model": "m", "input": "x", "previous_response_id": ""}, "previous_response_id"),
        ({"model": "m", "input": "x", "previous_response_id": "r" * 257}, "previous_response_id"),
    ],
)
def test_invalid_requests(request_body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_responses_request(request_body)
    assert refused.value.param == param


def test_invalid_items_are_named() -> None:
    with pytest.raises(InvalidRequest) as refused:
        responses_request_to_chat({"model": "m", "input": [{"type": "function_call", "name": "w"}]})
    assert refused.value.param == "input[0].call_id"
    with pytest.raises(InvalidRequest) as refused:
        responses_request_to_chat({"model": "m", "input": [{"role": "robot", "content": "x"}]})
    assert refused.value.param == "input[0]"


def _completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": 7,
            "completion_tokens": 3,
            "completion_tokens_details": {"reasoning_tokens": 1},
        },
    }


def test_a_text_answer_becomes_a_message_item() -> None:
    request = {"model": "alias", "input": "hi", "instructions": "Be brief.", "max_output_tokens": 9}
    response = chat_completion_to_response(
        _completion({"role": "assistant", "content": "Hello!"}), request, "alias", Usage(7, 3, 2)
    )
    assert response["object"] == "response"
    assert response["id"].startswith("resp_")
    assert response["status"] == "completed"
    assert response["model"] == "alias"
    assert response["instructions"] == "Be brief."
    assert response["max_output_tokens"] == 9
    assert response["store"] is False
    [item] = response["output"]
    assert item["type"] == "message" and item["role"] == "assistant" and item["status"] == "completed"
    assert item["content"] == [{"type": "output_text", "text": "Hello!", "annotations": [], "logprobs": []}]
    assert response["usage"] == {
        "input_tokens": 7,
        "input_tokens_details": {"cached_tokens": 2},
        "output_tokens": 3,
        "output_tokens_details": {"reasoning_tokens": 1},
        "total_tokens": 10,
    }


def test_tool_calls_become_function_call_items() -> None:
    message = {
        "role": "assistant",
        "content": "Let me look.",
        "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "w", "arguments": "{}"}}],
    }
    response = chat_completion_to_response(_completion(message, "tool_calls"), {}, "a", Usage(1, 1))
    assert [item["type"] for item in response["output"]] == ["message", "function_call"]
    call = response["output"][1]
    assert (call["call_id"], call["name"], call["arguments"], call["status"]) == (
        "call_9",
        "w",
        "{}",
        "completed",
    )
    assert call["id"].startswith("fc_")
    assert response["status"] == "completed"


@pytest.mark.parametrize(
    ("finish", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")]
)
def test_cut_answers_are_incomplete(finish: str, reason: str) -> None:
    response = chat_completion_to_response(
        _completion({"role": "assistant", "content": None}, finish), {}, "a", Usage(1, 0)
    )
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": reason}
    assert response["output"] == []


@pytest.mark.parametrize(
    "item",
    [
        {"role": "user", "content": [{"type": {"x": 1}, "text": "a"}]},
        {"role": "assistant", "content": [{"type": ["x"], "text": "a"}]},
        {"type": {"x": 1}},
        {"role": ["user"], "content": "x"},
        {"type": "function_call_output", "call_id": "c", "output": 5},
    ],
)
def test_hostile_items_are_refused_with_400(item: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        responses_request_to_chat({"model": "m", "input": [item]})


def test_hostile_answers_do_not_break_the_translation() -> None:
    completion = _completion({"role": "assistant", "content": "x", "tool_calls": 5})
    response = chat_completion_to_response(completion, {}, "a", Usage())
    assert [item["type"] for item in response["output"]] == ["message"]
