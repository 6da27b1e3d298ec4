"""Token estimates for OpenAI chat, Anthropic messages and embeddings requests."""

from __future__ import annotations

import base64
import math

import pytest

from trueport.jsonutil import dumps
from trueport.limits.tokens import (
    ATTACHMENT_TOKENS,
    MESSAGE_TOKENS,
    REPLY_TOKENS,
    estimate_prompt_tokens,
    reservation_tokens,
)

FRAMING_ONE = MESSAGE_TOKENS + REPLY_TOKENS


def test_plain_chat_is_a_quarter_of_the_text_plus_framing() -> None:
    request = {"model": "m", "messages": [{"role": "user", "content": "x" * 400}]}
    assert estimate_prompt_tokens(request) == 100 + FRAMING_ONE


def test_every_message_counts_with_its_framing() -> None:
    request = {
        "messages": [
            {"role": "system", "content": "a" * 40},
            {"role": "user", "content": "b" * 40, "name": "alice"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q":"x"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "c" * 40},
        ]
    }
    text = 40 + 40 + len("alice") + len("lookup") + len('{"q":"x"}') + 40
    assert estimate_prompt_tokens(request) == math.ceil(text / 4) + 4 * MESSAGE_TOKENS + REPLY_TOKENS


def test_openai_content_parts_and_images() -> None:
    image = "data:image/png;base64," + base64.b64encode(b"\x89PNG" * 50_000).decode()
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "d" * 80},
                    {"type": "image_url", "image_url": {"url": image, "detail": "high"}},
                ],
            }
        ]
    }
    # The 270 kB of base64 is not text: one image costs a fixed amount.
    assert estimate_prompt_tokens(request) == 20 + ATTACHMENT_TOKENS + FRAMING_ONE


def test_anthropic_messages_with_system_tools_and_images() -> None:
    tools = [{"name": "get_weather", "description": "Weather for a city", "input_schema": {"type": "object"}}]
    request = {
        "model": "claude",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "s" * 100, "cache_control": {"type": "ephemeral"}}],
        "tools": tools,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "A" * 9000},
                    },
                    {"type": "text", "text": "t" * 60},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "tu_1", "name": "get_weather", "input": {"city": "Paris"}}
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "r" * 20}],
            },
        ],
    }
    # Values are read, not keys (a tool_use input's keys are left out: near enough).
    text = 100 + 60 + len("get_weather") + len("Paris") + 20 + len(dumps(tools))
    expected = math.ceil(text / 4) + ATTACHMENT_TOKENS + 3 * MESSAGE_TOKENS + REPLY_TOKENS
    assert estimate_prompt_tokens(request) == expected


def test_non_ascii_text_counts_by_utf8_bytes() -> None:
    chinese = {"messages": [{"role": "user", "content": "漢" * 100}]}  # 300 bytes
    assert estimate_prompt_tokens(chinese) == 75 + FRAMING_ONE


def test_embeddings_inputs() -> None:
    assert estimate_prompt_tokens({"input": "e" * 40}) == 10
    assert estimate_prompt_tokens({"input": ["e" * 40, "f" * 40]}) == 20
    assert estimate_prompt_tokens({"input": [1, 2, 3, 4, 5]}) == 5
    assert estimate_prompt_tokens({"input": [[1, 2, 3], [4, 5]]}) == 5


def test_odd_and_hostile_shapes_do_not_break_it() -> None:
    assert estimate_prompt_tokens({}) == 0
    assert estimate_prompt_tokens({"messages": "not a list"}) == 0
    assert (
        estimate_prompt_tokens({"messages": [None, 3, {"content": 5}]}) == 3 * MESSAGE_TOKENS + REPLY_TOKENS
    )
    deep: object = "x" * 4
    for _ in range(5000):
        deep = [deep]
    assert estimate_prompt_tokens({"messages": [{"role": "user", "content": deep}]}) == FRAMING_ONE


@pytest.mark.parametrize(
    ("fields", "completion"),
    [
        ({}, 4096),
        ({"max_tokens": 300}, 300),
        ({"max_completion_tokens": 200, "max_tokens": 300}, 200),
        ({"max_output_tokens": 150}, 150),
        ({"max_tokens": 300, "n": 3}, 900),
        ({"max_tokens": 0}, 4096),
        ({"max_tokens": True}, 4096),
        ({"max_tokens": "300", "n": "2"}, 4096),
    ],
)
def test_reservation_is_the_prompt_plus_the_most_the_answer_may_use(
    fields: dict[str, object], completion: int
) -> None:
    request = {"messages": [{"role": "user", "content": "x" * 400}], **fields}
    assert reservation_tokens(request, 4096) == 100 + FRAMING_ONE + completion


def test_a_responses_request_counts_its_instructions_and_input() -> None:
    request = {"instructions": "x" * 40, "input": [{"role": "user", "content": "y" * 400}]}
    assert estimate_prompt_tokens(request) == 10 + 100
    assert estimate_prompt_tokens({"input": "z" * 80}) == 20
