"""Anthropic Messages API (2023-06-01) → OpenAI chat (canonical), and canonical answers back.

Used when an Anthropic SDK client calls ``/v1/messages`` and the target is not Anthropic: the request
becomes a canonical chat request, and the target's ``chat.completion`` or chunk stream becomes an
Anthropic ``message`` or the SSE events the Anthropic SDKs expect. Pure functions, no I/O.

Where the two APIs differ, the choices are:

- The ``system`` prompt (a string or text blocks, joined by a blank line) becomes the first message;
  ``role: system`` entries inside ``messages`` stay system messages in place.
- A user turn's ``tool_result`` blocks become ``role: tool`` messages placed before the rest of the
  turn, as OpenAI wants results right after the assistant's calls. OpenAI tool messages hold text
  only, so images inside a tool result follow in a user message; ``is_error`` results get an
  ``Error:`` prefix so the model still learns that the call failed.
- ``thinking`` and ``redacted_thinking`` blocks of earlier turns are dropped (they only mean
  something to Anthropic); ``cache_control`` markers are dropped; ``top_k`` and ``thinking`` are
  dropped. Block types and server tools (web search, code execution, ...) that a non-Anthropic
  target cannot honour are refused with ``InvalidRequest``.
- ``max_tokens`` becomes ``max_completion_tokens``, OpenAI's current name (its reasoning models
  reject the older ``max_tokens``). A stream asks for ``stream_options.include_usage``, since the
  Anthropic ``message_delta`` must carry usage.
- In answers, OpenAI's ``prompt_tokens`` includes cached tokens and Anthropic's ``input_tokens`` does
  not, so cached tokens are moved to ``cache_read_input_tokens``. Tool-call arguments that are not a
  JSON object (a model's mistake) are kept as ``{"_arguments": "<raw text>"}``.
"""

from __future__ import annotations

import uuid
from typing import Any

from trueport.errors import InvalidRequest
from trueport.formats.parts import DocumentPart
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.base import Usage
from trueport.providers.openai import usage_from_openai

# OpenAI finish_reason → Anthropic stop_reason.
STOP_REASONS: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}

_TOOL_CHOICES: dict[str, str] = {"auto": "auto", "any": "required", "none": "none"}

Event = tuple[str, JSONObject]  # (event name, data); the data's "type" is the event name


# --- request -----------------------------------------------------------------------------------------


def messages_request_to_chat(request: JSONObject) -> JSONObject:
    """Translate an Anthropic Messages request into a canonical chat request.

    Validates what Anthropic itself requires (``model``, ``max_tokens``, ``messages``), raising
    ``InvalidRequest`` that names the field, so a client gets the same answer whatever the target.
    """
    return translate_messages_request(request)[0]


def translate_messages_request(request: JSONObject) -> tuple[JSONObject, list[str]]:
    """``messages_request_to_chat``, and where each canonical message came from in the Anthropic
    request (``"system"``, ``"messages[2]"``), so that errors can name the client's own message."""
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model: a model name is required", param="model")
    max_tokens = request.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise InvalidRequest("max_tokens: a positive integer is required", param="max_tokens")
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages: a non-empty list is required", param="messages")

    chat_messages: list[JSONObject] = []
    origins: list[str] = []
    system = request.get("system")
    if system:
        chat_messages.append({"role": "system", "content": _system_text(system, "system")})
        origins.append("system")
    for i, message in enumerate(messages):
        translated = _chat_messages(message, f"messages.{i}")
        chat_messages.extend(translated)
        origins.extend(f"messages[{i}]" for _ in translated)

    chat: JSONObject = {"model": model, "messages": chat_messages, "max_completion_tokens": max_tokens}
    for field in ("temperature", "top_p"):
        value = request.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            chat[field] = value
    stop = request.get("stop_sequences")
    if isinstance(stop, list) and stop:
        chat["stop"] = list(stop)
    tools = request.get("tools")
    if isinstance(tools, list) and tools:
        chat["tools"] = [_chat_tool(tool, f"tools.{i}") for i, tool in enumerate(tools)]
        _apply_tool_choice(request.get("tool_choice"), chat)
    metadata = request.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
        chat["user"] = metadata["user_id"]
    if request.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    return chat, origins


def _system_text(system: object, where: str) -> str:
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        texts = []
        for j, block in enumerate(system):
            if (
                not isinstance(block, dict)
                or block.get("type") != "text"
                or not isinstance(block.get("text"), str)
            ):
                raise InvalidRequest(f"{where}.{j}: only text blocks are allowed here", param=where)
            texts.append(block["text"])
        return "\n\n".join(texts)
    raise InvalidRequest(f"{where}: a string or a list of text blocks is required", param=where)


def _chat_messages(message: object, where: str) -> list[JSONObject]:
    if not isinstance(message, dict):
        raise InvalidRequest(f"{where}: an object is required", param=where)
    role = message.get("role")
    content = message.get("content")
    if role == "system":
        return [{"role": "system", "content": _system_text(content, f"{where}.content")}]
    if isinstance(content, str):
        if role not in ("user", "assistant"):
            raise InvalidRequest(f"{where}.role: 'user' or 'assistant' is required", param=where)
        return [{"role": role, "content": content}]
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: a string or a list of blocks is required", param=where)
    if role == "user":
        return _user_messages(content, where)
    if role == "assistant":
        return [_assistant_message(content, where)]
    raise InvalidRequest(f"{where}.role: 'user' or 'assistant' is required", param=where)


def _user_messages(blocks: list[Any], where: str) -> list[JSONObject]:
    tool_messages: list[JSONObject] = []
    parts: list[JSONObject] = []
    for j, block in enumerate(blocks):
        here = f"{where}.content.{j}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "tool_result":
            text, images = _tool_result(block, here)
            tool_messages.append({"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": text})
            parts.extend(images)
        elif kind in ("thinking", "redacted_thinking"):
            continue
        else:
            parts.append(_chat_part(block, here))
    if not parts:
        return tool_messages
    if len(parts) == 1 and parts[0]["type"] == "text" and not isinstance(parts[0], DocumentPart):
        return [*tool_messages, {"role": "user", "content": parts[0]["text"]}]
    return [*tool_messages, {"role": "user", "content": parts}]


def _tool_result(block: JSONObject, where: str) -> tuple[str, list[JSONObject]]:
    if not isinstance(block.get("tool_use_id"), str):
        raise InvalidRequest(f"{where}.tool_use_id: a string is required", param=where)
    content = block.get("content")
    texts: list[str] = []
    images: list[JSONObject] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for k, item in enumerate(content):
            part = _chat_part(item, f"{where}.content.{k}")
            if part["type"] == "text":
                texts.append(part["text"])
            else:
                images.append(part)
    text = "\n".join(texts)
    if block.get("is_error"):
        text = f"Error: {text}"
    return text, images


def _chat_part(block: object, where: str) -> JSONObject:
    if not isinstance(block, dict):
        raise InvalidRequest(f"{where}: an object is required", param=where)
    kind = block.get("type")
    source = block.get("source")
    if kind == "text" and isinstance(block.get("text"), str):
        return {"type": "text", "text": block["text"]}
    if kind == "image" and isinstance(source, dict):
        if source.get("type") == "base64":
            url = f"data:{source.get('media_type')};base64,{source.get('data')}"
            return {"type": "image_url", "image_url": {"url": url}}
        if source.get("type") == "url" and isinstance(source.get("url"), str):
            return {"type": "image_url", "image_url": {"url": source["url"]}}
    if kind == "document" and isinstance(source, dict):
        if source.get("type") == "base64" and source.get("media_type") == "application/pdf":
            data_url = f"data:application/pdf;base64,{source.get('data')}"
            name = block.get("title") if isinstance(block.get("title"), str) else "document.pdf"
            return {"type": "file", "file": {"filename": name, "file_data": data_url}}
        if source.get("type") == "text" and isinstance(source.get("data"), str):
            return DocumentPart(type="text", text=source["data"])
    raise InvalidRequest(f"{where}: block type {kind!r} cannot be sent to this model's provider", param=where)


def _assistant_message(blocks: list[Any], where: str) -> JSONObject:
    texts: list[str] = []
    tool_calls: list[JSONObject] = []
    for j, block in enumerate(blocks):
        here = f"{where}.content.{j}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "tool_use":
            arguments = dumps(block.get("input") if isinstance(block.get("input"), dict) else {}).decode()
            function = {"name": block.get("name"), "arguments": arguments}
            tool_calls.append({"id": block.get("id"), "type": "function", "function": function})
        elif kind not in ("thinking", "redacted_thinking"):
            raise InvalidRequest(
                f"{here}: block type {kind!r} cannot be sent to this model's provider", param=here
            )
    message: JSONObject = {"role": "assistant", "content": "".join(texts) if texts else None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def _chat_tool(tool: object, where: str) -> JSONObject:
    if not isinstance(tool, dict) or tool.get("type", "custom") != "custom" or "input_schema" not in tool:
        kind = tool.get("type") if isinstance(tool, dict) else None
        raise InvalidRequest(
            f"{where}: only custom tools (name, input_schema) can be sent to this model's "
            f"provider, not {kind!r}",
            param=where,
        )
    function: JSONObject = {"name": tool.get("name"), "parameters": tool["input_schema"]}
    if isinstance(tool.get("description"), str):
        function["description"] = tool["description"]
    return {"type": "function", "function": function}


def _apply_tool_choice(choice: object, chat: JSONObject) -> None:
    if not isinstance(choice, dict):
        return
    kind = choice.get("type")
    if kind == "tool":
        chat["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    elif isinstance(kind, str) and kind in _TOOL_CHOICES:
        chat["tool_choice"] = _TOOL_CHOICES[kind]
    else:
        raise InvalidRequest(f"tool_choice.type: {kind!r} is not supported", param="tool_choice")
    if choice.get("disable_parallel_tool_use") is True:
        chat["parallel_tool_calls"] = False


# --- response ----------------------------------------------------------------------------------------


def chat_completion_to_message(completion: JSONObject, model: str) -> JSONObject:
    """Translate a canonical ``chat.completion`` into an Anthropic ``message`` named after ``model``.

    ``model`` is the name the client asked for (the alias), not the target's, as a client compares it.
    """
    choices = completion.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    reply = choice.get("message") or {}
    content: list[JSONObject] = []
    for text in (reply.get("content"), reply.get("refusal")):
        if isinstance(text, str) and text:
            content.append({"type": "text", "text": text})
    tool_calls = reply.get("tool_calls") or []
    for call in tool_calls:
        function = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": tool_input(function.get("arguments")),
            }
        )
    return {
        "id": message_id(completion.get("id")),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(choice.get("finish_reason"), tool_calls=bool(tool_calls)),
        "stop_sequence": None,
        "usage": anthropic_usage(usage_from_openai(completion.get("usage"))),
    }


def message_id(completion_id: object) -> str:
    """An Anthropic-looking message id (``msg_…``) from a completion id, or a fresh one."""
    if not isinstance(completion_id, str) or not completion_id:
        return f"msg_{uuid.uuid4().hex}"
    return completion_id if completion_id.startswith("msg_") else f"msg_{completion_id}"


def stop_reason(finish_reason: object, *, tool_calls: bool = False) -> str:
    """Anthropic's ``stop_reason`` for an OpenAI ``finish_reason`` (absent: judged by tool calls)."""
    if isinstance(finish_reason, str) and finish_reason in STOP_REASONS:
        return STOP_REASONS[finish_reason]
    return "tool_use" if tool_calls else "end_turn"


def tool_input(arguments: object) -> JSONObject:
    """Anthropic ``tool_use.input`` (an object) from OpenAI's JSON-string ``arguments``."""
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    try:
        value = loads(arguments)
    except JSONDecodeError:
        value = None
    return value if isinstance(value, dict) else {"_arguments": arguments}


def anthropic_usage(usage: Usage) -> JSONObject:
    """Anthropic ``usage``: input tokens exclude cache reads, which are reported on their own."""
    return {
        "input_tokens": usage.prompt_tokens - usage.cached_tokens,
        "output_tokens": usage.completion_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation_input_tokens": 0,
    }


# --- stream ------------------------------------------------------------------------------------------


class ChatChunksToMessagesEvents:
    """Canonical chunks → the Anthropic SSE event sequence, for a non-Anthropic target's stream.

    ``feed`` returns the events each chunk allows (``message_start`` on the first, then blocks: a
    text block while text arrives, one ``tool_use`` block per tool call with its arguments as
    ``input_json_delta``); ``finish`` closes the open block and sends ``message_delta`` (stop
    reason and the final usage, which OpenAI only reports at the end) and ``message_stop``. Usage in
    ``message_start`` is zero for that reason; the SDKs take the ``message_delta`` counts as final.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self.finished = False
        self._started = False
        self._next_index = 0
        self._open: tuple[str, int] | None = None  # (what it holds: "text" or "tool:<n>", block index)
        self._tool_blocks: dict[int, int] = {}  # OpenAI tool_calls index → Anthropic block index
        self._finish_reason: object = None

    def feed(self, chunk: JSONObject) -> list[Event]:
        if self.finished:
            return []
        events = self._start(chunk.get("id"))
        choices = chunk.get("choices") or []
        choice = next((c for c in choices if isinstance(c, dict) and c.get("index", 0) == 0), None)
        if choice is None:
            return events
        delta = choice.get("delta") or {}
        for text in (delta.get("content"), delta.get("refusal")):
            if isinstance(text, str) and text:
                index = self._ensure_open("text", {"type": "text", "text": ""}, events)
                events.append(
                    _event("content_block_delta", index=index, delta={"type": "text_delta", "text": text})
                )
        for call in delta.get("tool_calls") or []:
            if isinstance(call, dict):
                self._tool_call(call, events)
        if choice.get("finish_reason"):
            self._finish_reason = choice["finish_reason"]
        return events

    def finish(self, usage: Usage) -> list[Event]:
        if self.finished:
            return []
        events = self._start(None)
        self._close(events)
        reason = stop_reason(self._finish_reason, tool_calls=bool(self._tool_blocks))
        events.append(
            _event(
                "message_delta",
                delta={"stop_reason": reason, "stop_sequence": None},
                usage=anthropic_usage(usage),
            )
        )
        events.append(_event("message_stop"))
        self.finished = True
        return events

    def _start(self, chunk_id: object) -> list[Event]:
        if self._started:
            return []
        self._started = True
        message: JSONObject = {
            "id": message_id(chunk_id),
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return [_event("message_start", message=message)]

    def _tool_call(self, call: JSONObject, events: list[Event]) -> None:
        position = call.get("index", 0)
        function = call.get("function") or {}
        key = f"tool:{position}"
        if position not in self._tool_blocks:
            call_id = call.get("id") or f"toolu_{uuid.uuid4().hex[:24]}"
            block: JSONObject = {
                "type": "tool_use",
                "id": call_id,
                "name": function.get("name") or "",
                "input": {},
            }
            self._tool_blocks[position] = self._ensure_open(key, block, events)
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            events.append(
                _event(
                    "content_block_delta",
                    index=self._tool_blocks[position],
                    delta={"type": "input_json_delta", "partial_json": arguments},
                )
            )

    def _ensure_open(self, key: str, block: JSONObject, events: list[Event]) -> int:
        """The index of the open block for ``key``, closing another block and opening one if needed."""
        if self._open is not None and self._open[0] == key:
            return self._open[1]
        self._close(events)
        index = self._next_index
        self._next_index += 1
        self._open = (key, index)
        events.append(_event("content_block_start", index=index, content_block=block))
        return index

    def _close(self, events: list[Event]) -> None:
        if self._open is not None:
            events.append(_event("content_block_stop", index=self._open[1]))
            self._open = None


def _event(name: str, **data: Any) -> Event:
    return name, {"type": name, **data}
