"""Canonical chat chunks → the Responses API's typed stream events, for translated targets.

The sequence is OpenAI's: ``response.created`` and ``response.in_progress`` first; for the answer's
text a ``message`` item (``response.output_item.added``, ``response.content_part.added``, a
``response.output_text.delta`` per chunk, then ``.done`` events); for each tool call a
``function_call`` item (``response.function_call_arguments.delta`` / ``.done``); and last
``response.completed`` (or ``response.incomplete`` when the answer was cut at ``max_output_tokens``
or filtered) with the whole ``response`` and its usage. Every event carries its ``sequence_number``.
Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trueport.formats.responses import (
    ending,
    function_call_item,
    item_id,
    message_item,
    new_response_id,
    response_shell,
    responses_usage,
)
from trueport.jsonutil import JSONObject
from trueport.providers.base import Usage

Event = tuple[str, JSONObject]  # (event type, data); the data's "type" is the event type


@dataclass(slots=True)
class _Text:
    output_index: int
    ident: str
    parts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Call:
    output_index: int
    ident: str
    call_id: str
    name: str
    arguments: list[str] = field(default_factory=list)


class ChatChunksToResponsesEvents:
    """Feed canonical chunks in order, then call ``finish`` once for the closing events."""

    def __init__(self, request: JSONObject, alias: str):
        self._request = request
        self._alias = alias
        self._ident = new_response_id()
        self._sequence = 0
        self._started = False
        self._text: _Text | None = None
        self._calls: dict[int, _Call] = {}
        self._output: list[JSONObject | None] = []  # finished items by output index
        self._finish_reason: str | None = None

    def _event(self, kind: str, **data: Any) -> Event:
        event = {"type": kind, "sequence_number": self._sequence, **data}
        self._sequence += 1
        return kind, event

    def _shell(self, status: str) -> JSONObject:
        return response_shell(self._request, self._alias, self._ident, status)

    def _start(self) -> list[Event]:
        if self._started:
            return []
        self._started = True
        return [
            self._event("response.created", response=self._shell("in_progress")),
            self._event("response.in_progress", response=self._shell("in_progress")),
        ]

    def feed(self, chunk: JSONObject) -> list[Event]:
        events = self._start()
        choices = chunk.get("choices")
        choice = (
            choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        )
        if choice is None:
            return events
        delta = choice.get("delta")
        if isinstance(delta, dict):
            content = delta.get("content")
            if isinstance(content, str) and content:
                events.extend(self._text_delta(content))
            calls = delta.get("tool_calls")
            for call in calls if isinstance(calls, list) else []:
                if isinstance(call, dict):
                    events.extend(self._call_delta(call))
        reason = choice.get("finish_reason")
        if isinstance(reason, str):
            self._finish_reason = reason
        return events

    def _text_delta(self, content: str) -> list[Event]:
        events: list[Event] = []
        if self._text is None:
            self._text = _Text(len(self._output), item_id("msg"))
            self._output.append(None)
            item = {
                "id": self._text.ident,
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
            events.append(
                self._event("response.output_item.added", output_index=self._text.output_index, item=item)
            )
            events.append(
                self._event(
                    "response.content_part.added",
                    item_id=self._text.ident,
                    output_index=self._text.output_index,
                    content_index=0,
                    part={"type": "output_text", "text": "", "annotations": [], "logprobs": []},
                )
            )
        self._text.parts.append(content)
        events.append(
            self._event(
                "response.output_text.delta",
                item_id=self._text.ident,
                output_index=self._text.output_index,
                content_index=0,
                delta=content,
                logprobs=[],
            )
        )
        return events

    def _call_delta(self, delta: JSONObject) -> list[Event]:
        events: list[Event] = []
        index = delta.get("index", 0)
        index = index if isinstance(index, int) else 0
        found = delta.get("function")
        function: JSONObject = found if isinstance(found, dict) else {}
        call = self._calls.get(index)
        if call is None:
            call = _Call(
                len(self._output),
                item_id("fc"),
                str(delta.get("id") or item_id("call")),
                str(function.get("name") or ""),
            )
            self._calls[index] = call
            self._output.append(None)
            item = {
                "id": call.ident,
                "type": "function_call",
                "status": "in_progress",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": "",
            }
            events.append(
                self._event("response.output_item.added", output_index=call.output_index, item=item)
            )
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            call.arguments.append(arguments)
            events.append(
                self._event(
                    "response.function_call_arguments.delta",
                    item_id=call.ident,
                    output_index=call.output_index,
                    delta=arguments,
                )
            )
        return events

    def _close_text(self, text: _Text) -> list[Event]:
        whole = "".join(text.parts)
        item = message_item(whole, ident=text.ident)
        self._output[text.output_index] = item
        where = {"item_id": text.ident, "output_index": text.output_index, "content_index": 0}
        return [
            self._event("response.output_text.done", **where, text=whole, logprobs=[]),
            self._event("response.content_part.done", **where, part=item["content"][0]),
            self._event("response.output_item.done", output_index=text.output_index, item=item),
        ]

    def _close_call(self, call: _Call) -> list[Event]:
        arguments = "".join(call.arguments)
        item = function_call_item(call.call_id, call.name, arguments, ident=call.ident)
        self._output[call.output_index] = item
        return [
            self._event(
                "response.function_call_arguments.done",
                item_id=call.ident,
                output_index=call.output_index,
                name=call.name,
                arguments=arguments,
            ),
            self._event("response.output_item.done", output_index=call.output_index, item=item),
        ]

    def finish(self, usage: Usage) -> list[Event]:
        """The closing events: every open item's ``.done`` events, then the terminal event."""
        events = self._start()
        open_items: list[_Text | _Call] = [*self._calls.values()]
        if self._text is not None:
            open_items.append(self._text)
        for item in sorted(open_items, key=lambda open_item: open_item.output_index):
            events.extend(self._close_text(item) if isinstance(item, _Text) else self._close_call(item))
        status, incomplete = ending(self._finish_reason)
        response = self._shell(status)
        response["incomplete_details"] = incomplete
        response["output"] = [item for item in self._output if item is not None]
        response["usage"] = responses_usage(usage)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        events.append(self._event(kind, response=response))
        return events

    def error(self, message: str, code: str) -> Event:
        """The terminal ``error`` event (the openai SDK raises ``APIError`` on it)."""
        error = {"message": message, "type": "upstream_error", "code": code, "param": None}
        return self._event("error", code=code, message=message, param=None, error=error)
