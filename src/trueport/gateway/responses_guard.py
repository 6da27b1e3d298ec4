"""The guard on a Responses API call that goes to OpenAI natively (what chat cannot express).

The guard reads chat documents, so a native request and answer are screened through a *view*: a
chat-shaped document holding their texts (instructions, message parts, function-call arguments and
outputs; an answer's ``output_text`` parts and function-call arguments), with a map from each text's
path in the view to its path in the native document. What the guard blocks is refused; what it
redacts (or restores in the answer) is written back at the native paths, so everything else in the
request and the answer (built-in tools, ``previous_response_id``, reasoning items) passes unchanged.
Other item types carry no text the client wrote (``reasoning``, ``item_reference``, tool calls of
built-in tools) and are not scanned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trueport.gateway.guarding import CallGuard
from trueport.guard.engine import TextPath
from trueport.guard.messages import replace_texts
from trueport.jsonutil import JSONObject

_TEXT_PARTS = ("input_text", "output_text", "text")  # a tuple: a hostile "type" may be unhashable
_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}


@dataclass(slots=True)
class View:
    """A chat-shaped document of a native document's texts, and where each text came from."""

    document: JSONObject
    slots: dict[TextPath, TextPath] = field(default_factory=dict)  # view path -> native path
    origins: list[str] = field(default_factory=list)  # per view message: the client's item

    def changes(self, screened: JSONObject) -> dict[TextPath, str]:
        """The native paths whose text the guard changed in ``screened``, with their new text."""
        changed: dict[TextPath, str] = {}
        for view_path, native_path in self.slots.items():
            new = _at(screened, view_path)
            if isinstance(new, str) and new != _at(self.document, view_path):
                changed[native_path] = new
        return changed


def _at(document: Any, path: TextPath) -> Any:
    node = document
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def request_view(request: JSONObject) -> View:
    messages: list[JSONObject] = []
    view = View({"messages": messages})

    def add(message: JSONObject, origin: str, native: TextPath, view_tail: TextPath = ("content",)) -> None:
        view.slots[("messages", len(messages), *view_tail)] = native
        view.origins.append(origin)
        messages.append(message)

    instructions = request.get("instructions")
    if isinstance(instructions, str):
        add({"role": "system", "content": instructions}, "instructions", ("instructions",))
    value = request.get("input")
    if isinstance(value, str):
        add({"role": "user", "content": value}, "input", ("input",))
    for i, item in enumerate(value if isinstance(value, list) else []):
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message" if "role" in item else None)
        where = f"input[{i}]"
        if kind == "message":
            role = _ROLES.get(str(item.get("role")), "user")
            content = item.get("content")
            if isinstance(content, str):
                add({"role": role, "content": content}, where, ("input", i, "content"))
            for j, part in enumerate(content if isinstance(content, list) else []):
                if (
                    isinstance(part, dict)
                    and part.get("type") in _TEXT_PARTS
                    and isinstance(part.get("text"), str)
                ):
                    add({"role": role, "content": part["text"]}, where, ("input", i, "content", j, "text"))
        elif kind == "function_call_output":
            output = item.get("output")
            if isinstance(output, str):
                add({"role": "tool", "tool_call_id": "", "content": output}, where, ("input", i, "output"))
            for j, part in enumerate(output if isinstance(output, list) else []):
                if (
                    isinstance(part, dict)
                    and part.get("type") in _TEXT_PARTS
                    and isinstance(part.get("text"), str)
                ):
                    add(
                        {"role": "tool", "tool_call_id": "", "content": part["text"]},
                        where,
                        ("input", i, "output", j, "text"),
                    )
        elif kind == "function_call" and isinstance(item.get("arguments"), str):
            call = {"id": "", "type": "function", "function": {"name": "", "arguments": item["arguments"]}}
            add(
                {"role": "assistant", "content": None, "tool_calls": [call]},
                where,
                ("input", i, "arguments"),
                ("tool_calls", 0, "function", "arguments"),
            )
    return view


def response_view(response: JSONObject) -> View:
    choices: list[JSONObject] = []
    view = View({"object": "chat.completion", "choices": choices})
    output = response.get("output")
    for i, item in enumerate(output if isinstance(output, list) else []):
        if not isinstance(item, dict):
            continue
        if item.get("type") == "message":
            content = item.get("content")
            for j, part in enumerate(content if isinstance(content, list) else []):
                if (
                    isinstance(part, dict)
                    and part.get("type") == "output_text"
                    and isinstance(part.get("text"), str)
                ):
                    view.slots[("choices", len(choices), "message", "content")] = (
                        "output",
                        i,
                        "content",
                        j,
                        "text",
                    )
                    message = {"role": "assistant", "content": part["text"]}
                    choices.append({"index": len(choices), "message": message, "finish_reason": "stop"})
        elif item.get("type") == "function_call" and isinstance(item.get("arguments"), str):
            call = {"id": "", "type": "function", "function": {"name": "", "arguments": item["arguments"]}}
            path = ("choices", len(choices), "message", "tool_calls", 0, "function", "arguments")
            view.slots[path] = ("output", i, "arguments")
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            choices.append({"index": len(choices), "message": message, "finish_reason": "tool_calls"})
    return view


async def screen_native_request(guard: CallGuard, request: JSONObject) -> JSONObject:
    """The request to send OpenAI: as it came, or with the guard's redactions; raises if blocked."""
    view = request_view(request)
    screened = await guard.screen_request(view.document, origins=view.origins)
    if screened is view.document:
        return request
    return replace_texts(request, view.changes(screened))


async def screen_native_response(guard: CallGuard, response: JSONObject) -> JSONObject | None:
    """The answer for the client, or None if the guard changed nothing (send the upstream bytes).

    A blocked answer keeps no output and ends ``incomplete`` for ``content_filter``.
    """
    view = response_view(response)
    if not view.document["choices"]:
        return None
    screened = await guard.screen_completion(view.document)
    if screened is None:
        return None
    if all(choice.get("finish_reason") == "content_filter" for choice in screened["choices"]):
        return {
            **response,
            "output": [],
            "status": "incomplete",
            "incomplete_details": {"reason": "content_filter"},
        }
    return replace_texts(response, view.changes(screened))
