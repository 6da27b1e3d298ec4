"""The chat-shaped views through which the guard reads native Responses requests and answers."""

from __future__ import annotations

from trueport.gateway.responses_guard import request_view, response_view
from trueport.guard.base import Source
from trueport.guard.messages import completion_texts, replace_texts, request_texts

REQUEST = {
    "model": "m",
    "instructions": "Be brief.",
    "previous_response_id": "resp_1",
    "tools": [{"type": "web_search"}],
    "input": [
        {
            "role": "user",
            "content": [{"type": "input_text", "text": "hello"}, {"type": "input_image", "image_url": "u"}],
        },
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": '{"q":"x"}'},
        {"type": "function_call_output", "call_id": "c", "output": "tool says hi"},
        {"type": "reasoning", "id": "rs", "summary": []},
        {"type": "message", "role": "developer", "content": "rules"},
    ],
}


def test_every_text_of_a_request_is_seen_with_its_source() -> None:
    view = request_view(REQUEST)
    texts = request_texts(view.document)
    assert [(t.text, t.source) for t in texts] == [
        ("Be brief.", Source.SYSTEM),
        ("hello", Source.USER),
        ('{"q":"x"}', Source.TOOL_ARGUMENTS),
        ("tool says hi", Source.TOOL_OUTPUT),
        ("rules", Source.SYSTEM),
    ]
    assert view.origins == ["instructions", "input[0]", "input[1]", "input[2]", "input[4]"]
    assert sorted(view.slots.values()) == sorted(
        [
            ("instructions",),
            ("input", 0, "content", 0, "text"),
            ("input", 1, "arguments"),
            ("input", 2, "output"),
            ("input", 4, "content"),
        ]
    )


def test_changed_texts_are_written_back_at_their_native_paths() -> None:
    view = request_view(REQUEST)
    texts = request_texts(view.document)
    screened = replace_texts(view.document, {texts[1].path: "[EMAIL_1]", texts[3].path: "[SECRET_1]"})
    native = replace_texts(REQUEST, view.changes(screened))
    assert native["input"][0]["content"][0]["text"] == "[EMAIL_1]"
    assert native["input"][2]["output"] == "[SECRET_1]"
    assert native["tools"] == REQUEST["tools"] and native["previous_response_id"] == "resp_1"
    assert REQUEST["input"][0]["content"][0]["text"] == "hello"  # type: ignore[index]  # never mutated
    assert view.changes(view.document) == {}


def test_a_string_input_is_one_user_turn() -> None:
    view = request_view({"input": "hi"})
    assert view.document["messages"] == [{"role": "user", "content": "hi"}]
    assert list(view.slots.values()) == [("input",)]


def test_an_answer_is_seen_as_choices() -> None:
    response = {
        "id": "resp_1",
        "output": [
            {"type": "reasoning", "id": "rs", "summary": []},
            {
                "type": "message",
                "content": [{"type": "output_text", "text": "one"}, {"type": "refusal", "refusal": "no"}],
            },
            {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
            {"type": "web_search_call", "id": "ws"},
        ],
    }
    view = response_view(response)
    texts = completion_texts(view.document)
    assert [(t.text, t.source) for t in texts] == [("one", Source.COMPLETION), ("{}", Source.TOOL_ARGUMENTS)]
    screened = replace_texts(view.document, {texts[0].path: "ONE"})
    assert replace_texts(response, view.changes(screened))["output"][1]["content"][0]["text"] == "ONE"
