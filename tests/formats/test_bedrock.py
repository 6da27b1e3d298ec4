"""Canonical chat ↔ Bedrock Converse, and OpenAI embeddings → Titan / Cohere InvokeModel bodies."""

from __future__ import annotations

from typing import Any

import pytest

from trueport.errors import InvalidRequest, UnsupportedOperation
from trueport.formats.bedrock import (
    ConverseStreamToChatChunks,
    chat_request_to_converse,
    converse_to_chat_completion,
    usage_from_bedrock,
)
from trueport.formats.bedrock_embeddings import COHERE_BATCH, invoke_bodies, to_embeddings, vectors_of
from trueport.jsonutil import JSONObject

TOOL = {
    "type": "function",
    "function": {"name": "lookup", "description": "Look up", "parameters": {"type": "object"}},
}
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}


def test_system_messages_join_system_and_turns_merge() -> None:
    body = chat_request_to_converse(
        {
            "messages": [
                {"role": "system", "content": "one"},
                {"role": "user", "content": "hi"},
                {"role": "developer", "content": [{"type": "text", "text": "two"}]},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "again"}, {"type": "text", "text": ""}],
                },
                {"role": "assistant", "content": ""},
            ],
            "max_completion_tokens": 10,
            "max_tokens": 99,
            "top_p": 0.5,
            "stop": "END",
            "seed": 4,
            "presence_penalty": 1,
        }
    )
    assert body == {
        "messages": [{"role": "user", "content": [{"text": "hi"}, {"text": "again"}]}],
        "system": [{"text": "one"}, {"text": "two"}],
        "inferenceConfig": {"maxTokens": 10, "topP": 0.5, "stopSequences": ["END"]},
    }


def test_tool_history_becomes_tool_use_and_tool_result_blocks() -> None:
    body = chat_request_to_converse(
        {
            "messages": [
                {"role": "user", "content": "find x"},
                {"role": "assistant", "content": "looking", "tool_calls": [CALL]},
                {"role": "tool", "tool_call_id": "call_1", "content": "found"},
                {"role": "user", "content": "thanks"},
            ],
            "tools": [TOOL],
            "tool_choice": {"type": "function", "function": {"name": "lookup"}},
        }
    )
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"text": "looking"},
            {"toolUse": {"toolUseId": "call_1", "name": "lookup", "input": {"q": "x"}}},
        ],
    }
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {"toolResult": {"toolUseId": "call_1", "content": [{"text": "found"}]}},
            {"text": "thanks"},
        ],
    }
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "lookup",
                    "description": "Look up",
                    "inputSchema": {"json": {"type": "object"}},
                }
            }
        ],
        "toolChoice": {"tool": {"name": "lookup"}},
    }


@pytest.mark.parametrize(
    ("choice", "expected"), [("auto", {"auto": {}}), ("required", {"any": {}}), (None, None)]
)
def test_tool_choices(choice: str | None, expected: JSONObject | None) -> None:
    request: JSONObject = {"messages": [{"role": "user", "content": "x"}], "tools": [TOOL]}
    if choice is not None:
        request["tool_choice"] = choice
    assert chat_request_to_converse(request)["toolConfig"].get("toolChoice") == expected


def test_tool_choice_none_leaves_the_tools_out_unless_the_history_needs_them() -> None:
    request: JSONObject = {
        "messages": [{"role": "user", "content": "x"}],
        "tools": [TOOL],
        "tool_choice": "none",
    }
    assert "toolConfig" not in chat_request_to_converse(request)
    request["messages"] = [
        {"role": "user", "content": "x"},
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "y"},
    ]
    with pytest.raises(InvalidRequest, match="cannot be told not"):
        chat_request_to_converse(request)


def test_images_go_inline_and_urls_are_refused() -> None:
    part = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    body = chat_request_to_converse({"messages": [{"role": "user", "content": [part]}]})
    assert body["messages"][0]["content"] == [
        {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}}
    ]
    remote = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    with pytest.raises(InvalidRequest, match="inline only"):
        chat_request_to_converse({"messages": [{"role": "user", "content": [remote]}]})


@pytest.mark.parametrize(
    "extra",
    [
        {"n": 2},
        {"logprobs": True},
        {"modalities": ["text", "audio"]},
        {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}},
        {"tool_choice": "required"},
        {"tool_choice": {"type": "function", "function": {"name": "nope"}}, "tools": [TOOL]},
        {"max_tokens": 0},
    ],
)
def test_what_bedrock_cannot_honour_is_refused(extra: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        chat_request_to_converse({"messages": [{"role": "user", "content": "x"}], **extra})


def test_an_answer_with_text_and_tool_use() -> None:
    completion = converse_to_chat_completion(
        {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [
                        {"reasoningContent": {"reasoningText": {"text": "hmm"}}},
                        {"text": "Let me look."},
                        {"toolUse": {"toolUseId": "tooluse_1", "name": "lookup", "input": {"q": "x"}}},
                    ],
                }
            },
            "stopReason": "tool_use",
            "usage": {
                "inputTokens": 5,
                "outputTokens": 7,
                "cacheReadInputTokens": 100,
                "cacheWriteInputTokens": 3,
            },
        },
        "m",
    )
    choice = completion["choices"][0]
    assert choice["message"]["content"] == "Let me look."
    assert choice["message"]["tool_calls"] == [
        {"id": "tooluse_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q":"x"}'}}
    ]
    assert choice["finish_reason"] == "tool_calls"
    assert completion["usage"]["prompt_tokens"] == 108
    assert completion["usage"]["prompt_tokens_details"] == {"cached_tokens": 100}


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("guardrail_intervened", "content_filter"),
        ("new", "stop"),
    ],
)
def test_stop_reasons(reason: str, finish: str) -> None:
    answer = {"output": {"message": {"content": [{"text": "x"}]}}, "stopReason": reason}
    assert converse_to_chat_completion(answer, "m")["choices"][0]["finish_reason"] == finish


def test_unusable_usage_is_marked_invalid() -> None:
    assert usage_from_bedrock({"inputTokens": -1, "outputTokens": 2}).invalid
    assert usage_from_bedrock(None).total_tokens == 0


def test_the_stream_converter() -> None:
    converter = ConverseStreamToChatChunks("m")
    chunks = [
        *converter.feed("messageStart", {"role": "assistant"}),
        *converter.feed("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
        *converter.feed("contentBlockStop", {"contentBlockIndex": 0}),
        *converter.feed(
            "contentBlockStart",
            {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t1", "name": "lookup"}}},
        ),
        *converter.feed(
            "contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"q":'}}}
        ),
        *converter.feed(
            "contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '"x"}'}}}
        ),
    ]
    assert not converter.finished
    chunks += converter.feed("messageStop", {"stopReason": "tool_use"})
    chunks += converter.feed("metadata", {"usage": {"inputTokens": 3, "outputTokens": 4}})
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert deltas[1] == {"content": "Hi"}
    assert deltas[2]["tool_calls"][0] == {
        "index": 0,
        "id": "t1",
        "type": "function",
        "function": {"name": "lookup", "arguments": ""},
    }
    assert "".join(d["tool_calls"][0]["function"]["arguments"] for d in deltas[3:5]) == '{"q":"x"}'
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert converter.finished
    assert converter.finish()[0]["usage"]["total_tokens"] == 7


def test_titan_bodies_one_per_text_and_cohere_in_batches() -> None:
    assert invoke_bodies({"input": ["a", "b"], "dimensions": 512}, "amazon.titan-embed-text-v2:0") == [
        {"inputText": "a", "dimensions": 512},
        {"inputText": "b", "dimensions": 512},
    ]
    bodies = invoke_bodies({"input": [str(i) for i in range(COHERE_BATCH + 1)]}, "us.cohere.embed-english-v3")
    assert [len(body["texts"]) for body in bodies] == [COHERE_BATCH, 1]
    assert bodies[0]["input_type"] == "search_document"
    with pytest.raises(InvalidRequest, match="fixed size"):
        invoke_bodies({"input": "a", "dimensions": 8}, "cohere.embed-english-v3")
    with pytest.raises(InvalidRequest, match="token arrays"):
        invoke_bodies({"input": [[1, 2]]}, "amazon.titan-embed-text-v2:0")
    with pytest.raises(UnsupportedOperation):
        invoke_bodies({"input": "a"}, "anthropic.claude-3-haiku-20240307-v1:0")


def test_answers_become_an_openai_list() -> None:
    vectors = vectors_of({"embeddings": {"float": [[1, 0.5]]}}, "cohere") + vectors_of(
        {"embedding": [0.25]}, "titan"
    )
    body = to_embeddings(vectors, "m", 3, encoding_format="float")
    assert [item["embedding"] for item in body["data"]] == [[1.0, 0.5], [0.25]]
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    with pytest.raises(ValueError, match="not a list of numbers"):
        vectors_of({"embedding": ["x"]}, "titan")
