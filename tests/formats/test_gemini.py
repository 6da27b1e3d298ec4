"""Translations between OpenAI chat and the Gemini API (pure functions, no server)."""

from __future__ import annotations

import base64
import struct

import orjson
import pytest

from trueport.errors import InvalidRequest
from trueport.formats.gemini import (
    SKIP_THOUGHT_SIGNATURE,
    GenerateContentStreamToChatChunks,
    batch_embed_to_embeddings,
    chat_request_to_generate_content,
    embeddings_request_to_batch_embed,
    generate_content_to_chat_completion,
    to_gemini_schema,
    usage_from_gemini,
)
from trueport.jsonutil import JSONObject
from trueport.providers.base import Usage

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def convert(**request: object) -> JSONObject:
    return chat_request_to_generate_content(request)


# ---------------------------------------------------------------- requests


def test_system_and_developer_messages_become_the_system_instruction() -> None:
    body = convert(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Hi"},
        ]
    )
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}, {"text": "Answer in French."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]


def test_multi_turn_maps_roles_and_merges_consecutive_turns() -> None:
    body = convert(
        messages=[
            {"role": "user", "content": "one"},
            {"role": "user", "content": [{"type": "text", "text": "two"}]},
            {"role": "assistant", "content": "three"},
            {"role": "assistant", "content": None},  # nothing to say: no empty turn
            {"role": "user", "content": "four"},
        ]
    )
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "one"}, {"text": "two"}]},
        {"role": "model", "parts": [{"text": "three"}]},
        {"role": "user", "parts": [{"text": "four"}]},
    ]
    assert "systemInstruction" not in body


def test_generation_config_fields() -> None:
    body = convert(
        messages=[{"role": "user", "content": "x"}],
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        max_completion_tokens=70,
        stop="END",
        n=2,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        seed=7,
        user="ignored",
    )
    assert body["generationConfig"] == {
        "temperature": 0.2,
        "topP": 0.9,
        "presencePenalty": 0.5,
        "frequencyPenalty": -0.5,
        "seed": 7,
        "candidateCount": 2,
        "maxOutputTokens": 70,  # max_completion_tokens wins over the legacy max_tokens
        "stopSequences": ["END"],
    }


def test_max_tokens_alone_and_no_config_when_nothing_is_set() -> None:
    assert convert(messages=[{"role": "user", "content": "x"}], max_tokens=5)["generationConfig"] == {
        "maxOutputTokens": 5
    }
    assert "generationConfig" not in convert(messages=[{"role": "user", "content": "x"}])


def test_response_format_json_object_and_json_schema() -> None:
    plain = convert(messages=[{"role": "user", "content": "x"}], response_format={"type": "json_object"})
    assert plain["generationConfig"] == {"responseMimeType": "application/json"}
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    structured = convert(
        messages=[{"role": "user", "content": "x"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "a", "schema": schema, "strict": True},
        },
    )
    assert structured["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseSchema": {
            "type": "object",
            "properties": {"answer": {"type": "string"}},
            "required": ["answer"],
        },
    }
    text = convert(messages=[{"role": "user", "content": "x"}], response_format={"type": "text"})
    assert "generationConfig" not in text


def test_images_inline_and_by_reference() -> None:
    body = convert(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp?size=2"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/photo", "detail": "low"}},
                    {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                    {
                        "type": "file",
                        "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a"},
                    },
                ],
            }
        ]
    )
    assert body["contents"][0]["parts"] == [
        {"text": "What is this?"},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp?size=2"}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/photo"}},
        {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}},
    ]


@pytest.mark.parametrize(
    "part",
    [
        {"type": "image_url", "image_url": {"url": "data:image/png,not-base64"}},
        {"type": "image_url", "image_url": {"url": "data:;base64,AAAA"}},
        {"type": "file", "file": {"file_id": "file-abc"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "flac"}},
        {"type": "video", "video": {}},
    ],
)
def test_content_parts_gemini_cannot_take_are_refused(part: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest, match=r"messages\[0\]\.content\[0\]"):
        convert(messages=[{"role": "user", "content": [part]}])


def test_tools_and_tool_choice() -> None:
    no_params = {
        "type": "function",
        "function": {"name": "now", "parameters": {"type": "object", "properties": {}}},
    }
    body = convert(
        messages=[{"role": "user", "content": "x"}], tools=[WEATHER_TOOL, no_params], tool_choice="auto"
    )
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                },
                {"name": "now"},  # Gemini refuses an OBJECT schema without properties
            ]
        }
    ]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"mode": "ANY", "allowedFunctionNames": ["get_weather"]},
        ),
    ],
)
def test_tool_choice_modes(choice: object, expected: dict[str, object]) -> None:
    body = convert(messages=[{"role": "user", "content": "x"}], tools=[WEATHER_TOOL], tool_choice=choice)
    assert body["toolConfig"] == {"functionCallingConfig": expected}


def test_tool_choice_naming_an_unknown_function_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="not among the tools"):
        convert(
            messages=[{"role": "user", "content": "x"}],
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "other"}},
        )


def test_tool_calls_and_tool_results_round_trip() -> None:
    body = convert(
        messages=[
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                        "extra_content": {"google": {"thought_signature": "c2lnbmF0dXJl"}},
                    },
                    {
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": '{"city": "Rome"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_a", "content": '{"temp_c": 21}'},
            {"role": "tool", "tool_call_id": "call_b", "content": [{"type": "text", "text": "noon"}]},
            {"role": "user", "content": "Thanks"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
        {
            "role": "model",
            "parts": [
                {
                    "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                    "thoughtSignature": "c2lnbmF0dXJl",
                },
                {"functionCall": {"name": "get_time", "args": {"city": "Rome"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"content": {"temp_c": 21}}}},
                {"functionResponse": {"name": "get_time", "response": {"content": "noon"}}},
                {"text": "Thanks"},
            ],
        },
    ]


def test_unsigned_replayed_call_gets_googles_skip_signature() -> None:
    """A history written by another provider (e.g. before failover) has no signatures; Gemini 3 needs one."""
    body = convert(
        messages=[
            {"role": "user", "content": "x"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ]
    )
    assert body["contents"][1]["parts"] == [
        {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": SKIP_THOUGHT_SIGNATURE}
    ]


def test_response_from_a_generated_answer_converts_back_into_the_next_request() -> None:
    """Ids made up for Gemini's calls must let the client's tool results find their function names."""
    answer = generate_content_to_chat_completion(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}],
                    },
                    "finishReason": "STOP",
                }
            ]
        },
        "gemini-2.5-flash",
    )
    message = answer["choices"][0]["message"]
    call_id = message["tool_calls"][0]["id"]
    body = convert(
        messages=[
            {"role": "user", "content": "Oslo?"},
            message,
            {"role": "tool", "tool_call_id": call_id, "content": "cold"},
        ]
    )
    assert body["contents"][2] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"content": "cold"}}}],
    }


@pytest.mark.parametrize(
    ("request_fields", "match"),
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "system", "content": "only system"}]}, "at least one user"),
        ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "role 'function'"),
        ({"messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]}, "matches no earlier"),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{"}}],
                    }
                ]
            },
            "not valid JSON",
        ),
        ({"tools": [{"type": "web_search"}]}, "only function tools"),
        ({"tool_choice": "required"}, "needs tools"),
        ({"logprobs": True}, "logprobs"),
        ({"logit_bias": {"50256": -100}}, "logit_bias"),
        ({"modalities": ["text", "audio"]}, "text only"),
        ({"temperature": "hot"}, "must be a number"),
        ({"n": 1.5}, "must be an integer"),
        ({"max_tokens": 0}, "positive integer"),
        ({"stop": [1]}, "'stop'"),
        ({"response_format": {"type": "xml"}}, "response_format"),
    ],
)
def test_what_cannot_be_honoured_is_refused(request_fields: dict[str, object], match: str) -> None:
    request: dict[str, object] = {"messages": [{"role": "user", "content": "x"}], **request_fields}
    with pytest.raises(InvalidRequest, match=match):
        chat_request_to_generate_content(request)


# ---------------------------------------------------------------- schemas


def test_schema_cleaning_strips_unknown_keywords_recursively() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Args",
        "strict": True,
        "additionalProperties": False,
        "properties": {
            "tags": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"k": {"type": "string"}},
                },
                "minItems": 1,
            },
            "when": {"type": "string", "format": "date-time", "default": "now"},
            "email": {"type": "string", "format": "email", "examples": ["a@b.c"]},
            "count": {"type": "integer", "format": "int32", "exclusiveMinimum": 0, "maximum": 9},
        },
        "required": ["tags", "missing"],
    }
    assert to_gemini_schema(schema) == {
        "type": "object",
        "properties": {
            "tags": {
                "type": "array",
                "items": {"type": "object", "properties": {"k": {"type": "string"}}},
                "minItems": 1,
            },
            "when": {"type": "string", "format": "date-time"},
            "email": {"type": "string"},
            "count": {"type": "integer", "format": "int32", "maximum": 9},
        },
        "required": ["tags"],  # Gemini refuses a required name that is not a property
    }


def test_schema_refs_nullable_unions_and_const() -> None:
    schema = {
        "type": "object",
        "$defs": {"Unit": {"type": "string", "enum": ["c", "f"], "title": "Unit"}},
        "properties": {
            "unit": {"$ref": "#/$defs/Unit", "description": "which scale"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "optional"},
            "limit": {"type": ["integer", "null"]},
            "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "mixed": {"type": ["string", "number"]},
            "kind": {"const": "weather"},
            "both": {"allOf": [{"$ref": "#/$defs/Unit"}], "description": "merged"},
        },
    }
    assert to_gemini_schema(schema)["properties"] == {
        "unit": {"type": "string", "enum": ["c", "f"], "description": "which scale"},
        "note": {"type": "string", "description": "optional", "nullable": True},
        "limit": {"type": "integer", "nullable": True},
        "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "mixed": {"anyOf": [{"type": "string"}, {"type": "number"}]},
        "kind": {"enum": ["weather"], "type": "string"},
        "both": {"type": "string", "enum": ["c", "f"], "description": "merged"},
    }


def test_recursive_and_unresolvable_schemas_are_refused() -> None:
    recursive = {
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
        "$ref": "#/$defs/Node",
    }
    with pytest.raises(InvalidRequest, match="recursive"):
        to_gemini_schema(recursive)
    with pytest.raises(InvalidRequest, match="cannot resolve"):
        to_gemini_schema({"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}})


# ---------------------------------------------------------------- answers


def test_text_answer_with_usage() -> None:
    completion = generate_content_to_chat_completion(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "thinking...", "thought": True},
                            {"text": "Hello"},
                            {"text": " there"},
                        ],
                    },
                    "finishReason": "STOP",
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 100,
                "candidatesTokenCount": 5,
                "thoughtsTokenCount": 20,
                "cachedContentTokenCount": 60,
                "totalTokenCount": 125,
            },
            "responseId": "abc123",
        },
        "gemini-2.5-flash",
    )
    assert completion["id"] == "chatcmpl-abc123"
    assert completion["object"] == "chat.completion"
    assert completion["model"] == "gemini-2.5-flash"
    assert isinstance(completion["created"], int)
    assert completion["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello there"},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert completion["usage"] == {
        "prompt_tokens": 100,
        "completion_tokens": 25,
        "total_tokens": 125,
        "prompt_tokens_details": {"cached_tokens": 60},
        "completion_tokens_details": {"reasoning_tokens": 20},
    }


def test_function_calls_become_tool_calls() -> None:
    completion = generate_content_to_chat_completion(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {
                                "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                                "thoughtSignature": "sig",
                            },
                            {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
                        ],
                    },
                    "finishReason": "STOP",
                }
            ]
        },
        "m",
    )
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [c["function"] for c in calls] == [
        {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        {"name": "get_weather", "arguments": '{"city":"Rome"}'},
    ]
    assert all(c["type"] == "function" and c["id"].startswith("call_") for c in calls)
    assert calls[0]["id"] != calls[1]["id"]
    assert calls[0]["extra_content"] == {"google": {"thought_signature": "sig"}}
    assert "extra_content" not in calls[1]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("OTHER", "stop"),
        (None, "stop"),
    ],
)
def test_finish_reasons(reason: str | None, expected: str) -> None:
    candidate: dict[str, object] = {"content": {"role": "model", "parts": [{"text": "x"}]}}
    if reason:
        candidate["finishReason"] = reason
    completion = generate_content_to_chat_completion({"candidates": [candidate]}, "m")
    assert completion["choices"][0]["finish_reason"] == expected


def test_several_candidates_become_several_choices() -> None:
    completion = generate_content_to_chat_completion(
        {
            "candidates": [
                {"index": 1, "content": {"parts": [{"text": "b"}]}, "finishReason": "MAX_TOKENS"},
                {"content": {"parts": [{"text": "a"}]}, "finishReason": "STOP"},
            ]
        },
        "m",
    )
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in completion["choices"]] == [
        (0, "a", "stop"),
        (1, "b", "length"),
    ]


def test_blocked_prompt_is_an_empty_filtered_answer() -> None:
    completion = generate_content_to_chat_completion(
        {
            "promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        },
        "m",
    )
    assert completion["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": ""},
            "logprobs": None,
            "finish_reason": "content_filter",
        }
    ]
    assert completion["usage"]["prompt_tokens"] == 8


def test_usage_from_gemini() -> None:
    assert usage_from_gemini(None) == Usage()
    assert usage_from_gemini({"promptTokenCount": 10, "candidatesTokenCount": 3}) == Usage(10, 3, 0)
    assert usage_from_gemini(
        {
            "promptTokenCount": 10,
            "candidatesTokenCount": 3,
            "thoughtsTokenCount": 4,
            "cachedContentTokenCount": 6,
        }
    ) == Usage(prompt_tokens=10, completion_tokens=7, cached_tokens=6)


# ---------------------------------------------------------------- streams


def test_streamed_text_answer() -> None:
    stream = GenerateContentStreamToChatChunks("gemini-2.5-flash")
    chunks = stream.feed({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}}]})
    chunks += stream.feed({"candidates": [{"content": {"role": "model", "parts": [{"text": "lo"}]}}]})
    assert not stream.finished
    chunks += stream.feed(
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "!"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 3, "cachedContentTokenCount": 2},
        }
    )
    assert stream.finished
    assert stream.usage == Usage(prompt_tokens=4, completion_tokens=3, cached_tokens=2)
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": "Hel"},
        {"content": "lo"},
        {"content": "!"},
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, None, "stop"]
    assert {c["id"] for c in chunks} == {stream.id}
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "gemini-2.5-flash" for c in chunks)
    (usage_chunk,) = stream.finish()
    assert usage_chunk["choices"] == []
    assert usage_chunk["id"] == stream.id
    assert usage_chunk["usage"]["prompt_tokens"] == 4
    assert usage_chunk["usage"]["completion_tokens"] == 3
    assert usage_chunk["usage"]["prompt_tokens_details"] == {"cached_tokens": 2}


def test_streamed_function_call() -> None:
    stream = GenerateContentStreamToChatChunks("m")
    chunks = stream.feed(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}],
                    }
                }
            ]
        }
    )
    chunks += stream.feed(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"functionCall": {"name": "get_time", "args": {}}}],
                    },
                    "finishReason": "STOP",
                }
            ]
        }
    )
    first, second, finish = (c["choices"][0] for c in chunks)
    assert first["delta"]["role"] == "assistant"
    assert first["delta"]["content"] is None
    (call,) = first["delta"]["tool_calls"]
    assert call["index"] == 0
    assert call["type"] == "function"
    assert call["id"].startswith("call_")
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert "role" not in second["delta"]
    assert second["delta"]["tool_calls"][0]["index"] == 1  # indices keep counting across events
    assert second["delta"]["tool_calls"][0]["function"] == {"name": "get_time", "arguments": "{}"}
    assert finish == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}
    assert stream.finished


def test_streamed_blocked_prompt_finishes_with_content_filter() -> None:
    stream = GenerateContentStreamToChatChunks("m")
    chunks = stream.feed({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})
    assert stream.finished
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, "content_filter"]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}


def test_stream_without_finish_reason_is_not_finished() -> None:
    stream = GenerateContentStreamToChatChunks("m")
    stream.feed({"candidates": [{"content": {"parts": [{"text": "partial"}]}}]})
    assert not stream.finished


# ---------------------------------------------------------------- embeddings


def test_embeddings_request() -> None:
    assert embeddings_request_to_batch_embed(
        {"input": "hello", "dimensions": 256}, "gemini-embedding-001"
    ) == {
        "requests": [
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "hello"}]},
                "outputDimensionality": 256,
            }
        ]
    }
    body = embeddings_request_to_batch_embed({"input": ["a", "b"]}, "models/text-embedding-004")
    assert [r["content"]["parts"][0]["text"] for r in body["requests"]] == ["a", "b"]
    assert all(
        r["model"] == "models/text-embedding-004" and "outputDimensionality" not in r
        for r in body["requests"]
    )


@pytest.mark.parametrize(
    ("request_fields", "match"),
    [
        ({"input": [1, 2, 3]}, "token arrays"),
        ({"input": [[1, 2], [3]]}, "token arrays"),
        ({"input": []}, "non-empty list"),
        ({"input": "x", "dimensions": 0}, "dimensions"),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_embeddings_requests_gemini_cannot_take_are_refused(
    request_fields: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidRequest, match=match):
        embeddings_request_to_batch_embed(request_fields, "gemini-embedding-001")


def test_embeddings_answer_as_floats_and_base64() -> None:
    response = {"embeddings": [{"values": [0.5, -1.0]}, {"values": [0.25, 2.0]}]}
    floats = batch_embed_to_embeddings(response, "gemini-embedding-001", 7)
    assert floats == {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 0, "embedding": [0.5, -1.0]},
            {"object": "embedding", "index": 1, "embedding": [0.25, 2.0]},
        ],
        "model": "gemini-embedding-001",
        "usage": {"prompt_tokens": 7, "total_tokens": 7},
    }
    packed = batch_embed_to_embeddings(response, "gemini-embedding-001", 7, encoding_format="base64")
    decoded = struct.unpack("<2f", base64.b64decode(packed["data"][1]["embedding"]))
    assert decoded == (0.25, 2.0)
    with pytest.raises(ValueError, match="values"):
        batch_embed_to_embeddings({"embeddings": [{}]}, "m", 1)


def test_translations_are_json_serialisable() -> None:
    body = convert(messages=[{"role": "user", "content": "x"}], tools=[WEATHER_TOOL])
    assert orjson.loads(orjson.dumps(body)) == body
