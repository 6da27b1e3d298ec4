"""OpenAI's Responses API (``POST /v1/responses``) → OpenAI chat (canonical), and chat answers back.

Used when an OpenAI client calls ``/v1/responses`` and the target does not speak the Responses API
(Anthropic, Gemini, Azure OpenAI, ...): the request becomes a canonical chat request and the target's
``chat.completion`` becomes a ``response`` object (streams: ``trueport.formats.responses_stream``).
Pure functions, no I/O. OpenAI targets get the request as it came (``trueport.gateway.responses``).

Only what chat can express is translated: ``input`` as a string or as message,
``function_call`` and ``function_call_output`` items (``reasoning`` items of earlier turns are
dropped, as they only mean something to OpenAI); ``instructions`` (the first, system, message);
tools of type ``function`` and ``tool_choice``; ``text.format`` (text, JSON object, JSON schema);
``max_output_tokens``, ``temperature``, ``top_p``, ``parallel_tool_calls``, ``user``, ``stream``.
Anything that needs OpenAI's own state or tools (``previous_response_id``, ``conversation``,
``store: true``, ``background``, built-in tools such as ``web_search``, ``include``, ``reasoning``,
...) raises ``Untranslatable``: a 400 naming the field, in OpenAI's error shape.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from trueport.errors import InvalidRequest
from trueport.jsonutil import JSONObject
from trueport.providers.base import Usage

# Fields that mean nothing to the answer, or are echoed only: accepted and dropped.
_DROPPED = frozenset({"metadata", "service_tier", "prompt_cache_key", "stream_options", "store"})
_TRANSLATED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "text",
        "max_output_tokens",
        "temperature",
        "top_p",
        "user",
        "safety_identifier",
        "stream",
        "truncation",
    }
)
_MAX_ID_CHARS = 256
_PART_TEXTS = ("input_text", "output_text", "text")  # a tuple: a hostile "type" may be unhashable


class Untranslatable(InvalidRequest):
    """The request uses what only OpenAI's Responses API can do (a 400 for any other target)."""

    code = "unsupported_for_target"


def _refuse(field: str, why: str) -> Untranslatable:
    return Untranslatable(
        f"'{field}' {why}: only OpenAI targets serve it (this model's targets get the request "
        "translated to chat completions)",
        param=field,
    )


# --- request -----------------------------------------------------------------------------------------


def check_responses_request(request: JSONObject) -> None:
    """The checks every ``/v1/responses`` request gets, whatever its target (clear 400s)."""
    value = request.get("input")
    if value is None and request.get("previous_response_id") is None and request.get("prompt") is None:
        raise InvalidRequest("'input' is required: a string or an array of input items", param="input")
    if value is not None and not isinstance(value, str | list):
        raise InvalidRequest("'input' must be a string or an array of input items", param="input")
    if isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise InvalidRequest(f"input[{index}] must be an object", param=f"input[{index}]")
    instructions = request.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise InvalidRequest("'instructions' must be a string", param="instructions")
    tools = request.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise InvalidRequest("'tools' must be an array", param="tools")
    previous = request.get("previous_response_id")
    if previous is not None and (not isinstance(previous, str) or not 0 < len(previous) <= _MAX_ID_CHARS):
        raise InvalidRequest(
            f"'previous_response_id' must be a string of 1 to {_MAX_ID_CHARS} characters",
            param="previous_response_id",
        )
    limit = request.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise InvalidRequest("'max_output_tokens' must be a positive integer", param="max_output_tokens")


def responses_request_to_chat(request: JSONObject) -> JSONObject:
    """The canonical chat request for ``request``; ``Untranslatable`` if chat cannot express it."""
    _refuse_untranslatable(request)
    messages: list[JSONObject] = []
    instructions = request.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.append({"role": "system", "content": instructions})
    value = request.get("input")
    if isinstance(value, str):
        messages.append({"role": "user", "content": value})
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _add_item(messages, item, f"input[{index}]")
    if not messages:
        raise InvalidRequest("'input' has no message to answer", param="input")
    chat: JSONObject = {"model": request.get("model"), "messages": messages}
    for field in ("temperature", "top_p", "parallel_tool_calls"):
        if request.get(field) is not None:
            chat[field] = request[field]
    if request.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = request["max_output_tokens"]
    user = request.get("safety_identifier", request.get("user"))
    if isinstance(user, str):
        chat["user"] = user
    tools = request.get("tools")
    if isinstance(tools, list) and tools:
        chat["tools"] = [_chat_tool(tool, f"tools[{index}]") for index, tool in enumerate(tools)]
    if request.get("tool_choice") is not None:
        chat["tool_choice"] = _chat_tool_choice(request["tool_choice"])
    response_format = _response_format(request.get("text"))
    if response_format is not None:
        chat["response_format"] = response_format
    if request.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    return chat


def _refuse_untranslatable(request: JSONObject) -> None:
    for field, value in request.items():
        if field in _TRANSLATED or field in _DROPPED or value is None:
            continue
        if field == "previous_response_id":
            raise _refuse(field, "continues a conversation OpenAI stored")
        if field == "background" and value is False:
            continue
        if field in ("include", "reasoning") and not value:
            continue
        raise _refuse(field, "has no chat-completions equivalent")
    if request.get("store") is True:
        raise _refuse("store", "asks the provider to keep the response for later retrieval")
    if request.get("truncation") not in (None, "disabled"):
        raise _refuse("truncation", "lets OpenAI drop earlier input")


def _add_item(messages: list[JSONObject], item: JSONObject, where: str) -> None:
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        messages.append(_message(item, where))
    elif kind == "function_call":
        call = {
            "id": _string(item, "call_id", where),
            "type": "function",
            "function": {
                "name": _string(item, "name", where),
                "arguments": _string(item, "arguments", where),
            },
        }
        last = messages[-1] if messages else None
        if last is not None and last["role"] == "assistant" and "tool_calls" in last:
            last["tool_calls"].append(call)
        elif last is not None and last["role"] == "assistant" and isinstance(last.get("content"), str | None):
            last["tool_calls"] = [call]
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind == "function_call_output":
        output = item.get("output")
        text = output if isinstance(output, str) else _parts_text(output, f"{where}.output")
        messages.append({"role": "tool", "tool_call_id": _string(item, "call_id", where), "content": text})
    elif kind == "reasoning":
        return  # an earlier turn's reasoning means something to OpenAI only
    else:
        raise _refuse(where, f"is an item of type {kind!r}")


def _message(item: JSONObject, where: str) -> JSONObject:
    role = item.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        raise InvalidRequest(f"{where}.role must be user, assistant, system or developer", param=where)
    content = item.get("content")
    chat_role = "system" if role == "developer" else role
    if isinstance(content, str):
        return {"role": chat_role, "content": content}
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or an array of parts", param=where)
    if chat_role != "user":  # system and assistant turns are text in every chat dialect
        return {"role": chat_role, "content": _parts_text(content, f"{where}.content")}
    parts = [_user_part(part, f"{where}.content[{index}]") for index, part in enumerate(content)]
    if len(parts) == 1 and parts[0]["type"] == "text":
        return {"role": "user", "content": parts[0]["text"]}
    return {"role": "user", "content": parts}


def _user_part(part: Any, where: str) -> JSONObject:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in _PART_TEXTS and isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]}
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        image: JSONObject = {"url": part["image_url"]}
        if part.get("detail") in ("low", "high", "auto"):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    raise _refuse(where, f"is a content part of type {kind!r}")


def _parts_text(content: Any, where: str) -> str:
    if not isinstance(content, list):
        raise InvalidRequest(f"{where} must be a string or an array of text parts", param=where)
    texts: list[str] = []
    for index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in _PART_TEXTS and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            texts.append(part["refusal"])
        else:
            raise _refuse(f"{where}[{index}]", f"is a content part of type {kind!r}")
    return "\n".join(texts)


def _string(item: JSONObject, field: str, where: str) -> str:
    value = item.get(field)
    if not isinstance(value, str):
        raise InvalidRequest(f"{where}.{field} must be a string", param=f"{where}.{field}")
    return value


def _chat_tool(tool: Any, where: str) -> JSONObject:
    kind = tool.get("type") if isinstance(tool, dict) else None
    if kind != "function":
        raise _refuse(where, f"is the built-in tool {kind!r}")
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"{where}.name must be a non-empty string", param=f"{where}.name")
    function: JSONObject = {"name": name}
    for field in ("description", "parameters", "strict"):
        if tool.get(field) is not None:
            function[field] = tool[field]
    return {"type": "function", "function": function}


def _chat_tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise _refuse("tool_choice", "names something other than auto, none, required or a function")


def _response_format(text: Any) -> JSONObject | None:
    if text is None:
        return None
    if not isinstance(text, dict):
        raise InvalidRequest("'text' must be an object", param="text")
    fmt = text.get("format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if fmt is None or kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema" and isinstance(fmt, dict):
        schema = {field: fmt[field] for field in ("name", "schema", "strict", "description") if field in fmt}
        return {"type": "json_schema", "json_schema": schema}
    raise InvalidRequest("'text.format.type' must be text, json_object or json_schema", param="text.format")


# --- answer ------------------------------------------------------------------------------------------


def new_response_id() -> str:
    return f"resp_{uuid.uuid4().hex}"


def item_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def responses_usage(usage: Usage, reasoning_tokens: int = 0) -> JSONObject:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def response_shell(request: JSONObject, alias: str, ident: str, status: str) -> JSONObject:
    """A ``response`` object without output or usage: what the request asked, echoed."""
    text = request.get("text")
    return {
        "id": ident,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "model": alias,
        "output": [],
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": request.get("temperature", 1.0),
        "text": text if isinstance(text, dict) else {"format": {"type": "text"}},
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools") or [],
        "top_p": request.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None,
        "user": request.get("user"),
        "metadata": request.get("metadata") or {},
    }


# chat finish_reason → (status, incomplete reason)
_ENDINGS: dict[str, tuple[str, str | None]] = {
    "length": ("incomplete", "max_output_tokens"),
    "content_filter": ("incomplete", "content_filter"),
}


def ending(finish_reason: object) -> tuple[str, JSONObject | None]:
    """The response ``status`` and ``incomplete_details`` for a chat ``finish_reason``."""
    status, reason = "completed", None
    if isinstance(finish_reason, str) and finish_reason in _ENDINGS:
        status, reason = _ENDINGS[finish_reason]
    return status, ({"reason": reason} if reason is not None else None)


def message_item(text: str, *, ident: str | None = None, refusal: bool = False) -> JSONObject:
    part: JSONObject = (
        {"type": "refusal", "refusal": text}
        if refusal
        else {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    )
    return {
        "id": ident or item_id("msg"),
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [part],
    }


def function_call_item(call_id: str, name: str, arguments: str, *, ident: str | None = None) -> JSONObject:
    return {
        "id": ident or item_id("fc"),
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def chat_completion_to_response(
    completion: JSONObject, request: JSONObject, alias: str, usage: Usage
) -> JSONObject:
    """The ``response`` object for a canonical ``chat.completion`` (its first choice)."""
    choices = completion.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    found = choice.get("message")
    message: JSONObject = found if isinstance(found, dict) else {}
    output: list[JSONObject] = []
    content = message.get("content")
    if isinstance(content, str) and content:
        output.append(message_item(content))
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        output.append(message_item(refusal, refusal=True))
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            output.append(
                function_call_item(
                    str(call.get("id") or item_id("call")),
                    str(function.get("name") or ""),
                    str(function.get("arguments") or ""),
                )
            )
    status, incomplete = ending(choice.get("finish_reason"))
    response = response_shell(request, alias, new_response_id(), status)
    response["incomplete_details"] = incomplete
    response["output"] = output
    response["usage"] = responses_usage(usage, _reasoning_tokens(completion))
    return response


def _reasoning_tokens(completion: JSONObject) -> int:
    usage = completion.get("usage")
    details = usage.get("completion_tokens_details") if isinstance(usage, dict) else None
    value = details.get("reasoning_tokens") if isinstance(details, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
