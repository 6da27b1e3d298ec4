"""Canonical chat chunks → the Responses API's typed events, in OpenAI's order."""

from __future__ import annotations

from typing import Any

from trueport.formats.responses_stream import ChatChunksToResponsesEvents
from trueport.providers.base import Usage


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None) -> dict[str, Any]:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
    }


USAGE = Usage(5, 2)


def run(chunks: list[dict[str, Any]], usage: Usage = USAGE) -> list[tuple[str, dict[str, Any]]]:
    translator = ChatChunksToResponsesEvents({"model": "alias", "input": "hi"}, "alias")
    events = [event for item in chunks for event in translator.feed(item)]
    return events + translator.finish(usage)


def test_text_stream_sequence() -> None:
    events = run(
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "Hel"}),
            chunk({"content": "lo"}),
            chunk({}, "stop"),
            {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}},
        ]
    )
    assert [name for name, _ in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert all(data["type"] == name for name, data in events)
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    deltas = [data["delta"] for name, data in events if name == "response.output_text.delta"]
    assert deltas == ["Hel", "lo"]
    item_ids = {data["item_id"] for name, data in events if "item_id" in data}
    assert len(item_ids) == 1
    created = events[0][1]["response"]
    final = events[-1][1]["response"]
    assert created["id"] == final["id"] and created["status"] == "in_progress"
    assert final["status"] == "completed"
    assert final["output"][0]["content"][0]["text"] == "Hello"
    assert final["usage"]["input_tokens"] == 5
    assert final["usage"]["output_tokens"] == 2
    assert final["usage"]["total_tokens"] == 7


def test_tool_calls_become_function_call_items() -> None:
    events = run(
        [
            chunk({"role": "assistant", "content": "Checking."}),
            chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "w", "arguments": ""}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
            chunk(
                {"tool_calls": [{"index": 1, "id": "call_2", "function": {"name": "v", "arguments": "{}"}}]}
            ),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
            chunk({}, "tool_calls"),
        ]
    )
    names = [name for name, _ in events]
    assert names.count("response.output_item.added") == 3
    assert names.count("response.output_item.done") == 3
    done = [data for name, data in events if name == "response.function_call_arguments.done"]
    assert [(d["output_index"], d["arguments"]) for d in done] == [(1, '{"a":1}'), (2, "{}")]
    closed = [data["output_index"] for name, data in events if name == "response.output_item.done"]
    assert closed == [0, 1, 2]
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    final = events[-1][1]["response"]
    assert [item["type"] for item in final["output"]] == ["message", "function_call", "function_call"]
    assert final["output"][1]["call_id"] == "call_1"
    assert final["output"][1]["name"] == "w"


def test_a_cut_answer_ends_incomplete() -> None:
    events = run([chunk({"content": "one"}), chunk({}, "length")])
    name, data = events[-1]
    assert name == "response.incomplete"
    assert data["response"]["status"] == "incomplete"
    assert data["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_an_empty_stream_still_starts_and_completes() -> None:
    translator = ChatChunksToResponsesEvents({}, "a")
    names = [name for name, _ in translator.finish(Usage())]
    assert names == ["response.created", "response.in_progress", "response.completed"]


def test_error_event_carries_an_error_object() -> None:
    translator = ChatChunksToResponsesEvents({}, "a")
    translator.feed(chunk({"content": "x"}))
    name, data = translator.error("broken", "stream_broken")
    assert name == "error"
    assert data["code"] == "stream_broken"
    assert data["error"]["message"] == "broken"
    assert data["sequence_number"] > 0
