"""Amazon Bedrock's Converse API to and from the canonical OpenAI chat format, streams included.

Pure translations, no I/O: ``trueport.providers.bedrock`` does the signing and calling. Converse is one
format for every Bedrock model (Claude, Nova, Llama, Mistral, ...); where it differs from OpenAI:

- system and developer messages become the top-level ``system`` blocks, in order;
- turns must alternate user/assistant: consecutive turns of one role (``tool`` counts as user) are
  merged, and empty text is dropped (Bedrock rejects blank text blocks);
- tool calls are ``toolUse`` blocks with an ``input`` object, tool results ``toolResult`` blocks in a
  user turn, matched by ``toolUseId`` (the OpenAI call id, kept both ways);
- ``tool_choice``: ``auto``, ``required`` (``any``) and a named function (``tool``) map one to one.
  Converse has no ``none``: the tools are left out instead, which Bedrock refuses when the history
  already holds tool calls, so that case is refused here with a clear message;
- images are sent inline (``data:`` URLs of png, jpeg, gif or webp); Converse takes no remote URLs.

Refused rather than answered wrongly (``InvalidRequest``): ``n`` > 1, ``logprobs``, audio output,
``response_format`` ``json_schema``, content parts other than text and inline images. Dropped as
hints: penalties, ``seed``, ``logit_bias``, ``user``, ``metadata``, ``store``, ``service_tier``,
``parallel_tool_calls``, ``reasoning_effort``. In answers, ``reasoningContent`` blocks are left out.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from trueport.errors import InvalidRequest
from trueport.formats.parts import text_only
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.base import Usage
from trueport.usage.upstream import upstream_count

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
_TOOL_CHOICES: dict[str, JSONObject] = {"auto": {"auto": {}}, "required": {"any": {}}}
_USAGE_KEYS = ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")


# ---------------------------------------------------------------- requests


def chat_request_to_converse(request: JSONObject) -> JSONObject:
    """Translate an OpenAI chat request into a Converse body (the model id goes in the URL)."""
    _refuse_unsupported(request)
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty list", param="messages")
    system, turns = _turns(messages)
    if not turns:
        raise InvalidRequest("Bedrock needs at least one user or assistant message", param="messages")
    body: JSONObject = {"messages": turns}
    if system:
        body["system"] = system
    tool_config = _tool_config(request, _has_tool_blocks(turns))
    if tool_config is not None:
        body["toolConfig"] = tool_config
    inference = _inference_config(request)
    if inference:
        body["inferenceConfig"] = inference
    return body


def _refuse_unsupported(request: JSONObject) -> None:
    n = request.get("n")
    if n is not None and n != 1:
        raise InvalidRequest("Bedrock targets return one choice; 'n' must be 1", param="n")
    if request.get("logprobs") or request.get("top_logprobs"):
        raise InvalidRequest("Bedrock targets do not return log probabilities", param="logprobs")
    modalities = request.get("modalities")
    if request.get("audio") is not None or (isinstance(modalities, list) and set(modalities) - {"text"}):
        raise InvalidRequest("Bedrock targets answer with text only", param="modalities")
    response_format = request.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        raise InvalidRequest(
            "Bedrock targets cannot guarantee a 'json_schema' response format", param="response_format"
        )


def _turns(messages: list[Any]) -> tuple[list[JSONObject], list[JSONObject]]:
    system: list[JSONObject] = []
    turns: list[JSONObject] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where} must be an object", param=where)
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend({"text": text} for text in text_only(message.get("content"), where))
            continue
        if role == "user":
            bedrock_role, blocks = "user", _user_blocks(message.get("content"), where)
        elif role == "assistant":
            bedrock_role, blocks = "assistant", _assistant_blocks(message, where)
        elif role == "tool":
            bedrock_role, blocks = "user", [_tool_result(message, where)]
        else:
            raise InvalidRequest(f"{where}: role {role!r} cannot be sent to Bedrock", param=f"{where}.role")
        if not blocks:
            continue
        if turns and turns[-1]["role"] == bedrock_role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": bedrock_role, "content": blocks})
    return system, turns


def _user_blocks(content: object, where: str) -> list[JSONObject]:
    if not isinstance(content, list):
        return [{"text": text} for text in text_only(content, where)]
    blocks: list[JSONObject] = []
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        value = part.get(kind) if isinstance(part, dict) and isinstance(kind, str) else None
        if kind == "text" and isinstance(value, str):
            if value:
                blocks.append({"text": value})
        elif kind == "image_url" and isinstance(value, dict) and isinstance(value.get("url"), str):
            blocks.append(_image(value["url"], at))
        else:
            raise InvalidRequest(
                f"{at}: a {kind!r} part cannot be sent to Bedrock (text and image_url are supported)",
                param=at,
            )
    return blocks


def _image(url: str, where: str) -> JSONObject:
    if not url.startswith("data:"):
        raise InvalidRequest(f"{where}: Bedrock takes images inline only, as base64 data: URLs", param=where)
    header, comma, data = url[5:].partition(",")
    media_type, *options = header.split(";")
    image_format = _IMAGE_FORMATS.get(media_type.lower())
    if not comma or "base64" not in options or image_format is None:
        raise InvalidRequest(
            f"{where}: a base64 data: URL of a png, jpeg, gif or webp image is needed", param=where
        )
    return {"image": {"format": image_format, "source": {"bytes": data}}}


def _assistant_blocks(message: JSONObject, where: str) -> list[JSONObject]:
    blocks: list[JSONObject] = [{"text": text} for text in text_only(message.get("content"), where)]
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, list):
        raise InvalidRequest(f"{where}.tool_calls must be a list", param=f"{where}.tool_calls")
    for j, call in enumerate(tool_calls):
        at = f"{where}.tool_calls[{j}]"
        function = call.get("function") if isinstance(call, dict) else None
        if (
            not isinstance(function, dict)
            or not isinstance(function.get("name"), str)
            or not isinstance(call.get("id"), str)
            or not call["id"]
        ):
            raise InvalidRequest(f"{at} needs an 'id' and a 'function.name'", param=at)
        blocks.append(
            {
                "toolUse": {
                    "toolUseId": call["id"],
                    "name": function["name"],
                    "input": _arguments(function.get("arguments"), at),
                }
            }
        )
    return blocks


def _arguments(value: object, where: str) -> JSONObject:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = loads(value)
        except JSONDecodeError as exc:
            raise InvalidRequest(f"{where}: function.arguments is not valid JSON", param=where) from exc
    if not isinstance(value, dict):
        raise InvalidRequest(f"{where}: function.arguments must be a JSON object", param=where)
    return value


def _tool_result(message: JSONObject, where: str) -> JSONObject:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"{where}.tool_call_id is required", param=f"{where}.tool_call_id")
    text = "".join(text_only(message.get("content"), where))
    return {"toolResult": {"toolUseId": call_id, "content": [{"text": text}] if text else []}}


def _has_tool_blocks(turns: list[JSONObject]) -> bool:
    return any("toolUse" in block or "toolResult" in block for turn in turns for block in turn["content"])


def _tool_config(request: JSONObject, history_has_tools: bool) -> JSONObject | None:
    specs = _tool_specs(request.get("tools"))
    choice = request.get("tool_choice")
    if choice == "none" or not specs:
        if history_has_tools:
            raise InvalidRequest(
                "Bedrock needs the tools of a conversation that has tool calls, and cannot be told not "
                "to use them: send 'tools' without tool_choice 'none'",
                param="tool_choice" if specs else "tools",
            )
        if choice == "required":
            raise InvalidRequest("tool_choice 'required' needs tools", param="tool_choice")
        return None
    config: JSONObject = {"tools": specs}
    if choice is None:
        return config
    if isinstance(choice, str) and choice in _TOOL_CHOICES:
        config["toolChoice"] = _TOOL_CHOICES[choice]
        return config
    function = (
        choice.get("function") if isinstance(choice, dict) and choice.get("type") == "function" else None
    )
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or name not in {spec["toolSpec"]["name"] for spec in specs}:
        raise InvalidRequest(
            "tool_choice must be 'auto', 'none', 'required' or a function among the tools",
            param="tool_choice",
        )
    config["toolChoice"] = {"tool": {"name": name}}
    return config


def _tool_specs(tools: object) -> list[JSONObject]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("'tools' must be a list", param="tools")
    specs = []
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if (
            not isinstance(function, dict)
            or not isinstance(function.get("name"), str)
            or not function["name"]
        ):
            raise InvalidRequest(
                f"{where}: only function tools with a name can be sent to Bedrock", param=where
            )
        parameters = function.get("parameters")
        spec: JSONObject = {
            "name": function["name"],
            "inputSchema": {
                "json": parameters if isinstance(parameters, dict) else {"type": "object", "properties": {}}
            },
        }
        if isinstance(function.get("description"), str) and function["description"]:
            spec["description"] = function["description"]
        specs.append({"toolSpec": spec})
    return specs


def _inference_config(request: JSONObject) -> JSONObject:
    config: JSONObject = {}
    for field in ("max_completion_tokens", "max_tokens"):
        value = request.get(field)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidRequest(f"'{field}' must be a positive integer", param=field)
        config["maxTokens"] = value
        break
    for field, name in (("temperature", "temperature"), ("top_p", "topP")):
        value = request.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            config[name] = value
    stop = request.get("stop")
    if isinstance(stop, str):
        config["stopSequences"] = [stop]
    elif isinstance(stop, list) and stop:
        if not all(isinstance(s, str) for s in stop):
            raise InvalidRequest("'stop' must be a string or a list of strings", param="stop")
        config["stopSequences"] = list(stop)
    return config


# ---------------------------------------------------------------- answers


def usage_from_bedrock(value: object) -> Usage:
    """Read a Converse ``usage``: ``inputTokens`` excludes prompt-cache reads and writes, OpenAI's
    ``prompt_tokens`` includes them, so all three are added and cache reads are ``cached_tokens``."""
    if not isinstance(value, dict):
        return Usage()
    counts = [upstream_count(value.get(key, 0)) for key in _USAGE_KEYS]
    if any(count is None for count in counts):
        return Usage(invalid=True)  # trueport.usage.upstream: the record takes the gateway's estimate
    given, output, cache_read, cache_write = (count or 0 for count in counts)
    prompt = given + cache_read + cache_write
    return Usage(prompt_tokens=prompt, completion_tokens=output, cached_tokens=cache_read)


def _usage_body(usage: Usage) -> JSONObject:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    }


def finish_reason(stop_reason: object) -> str:
    """An OpenAI finish reason for a Converse ``stopReason`` (unknown reasons read as stop)."""
    return STOP_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"


def _tool_call(tool_use: JSONObject) -> JSONObject:
    tool_input = tool_use.get("input")
    return {
        "id": str(tool_use["toolUseId"]),
        "type": "function",
        "function": {
            "name": str(tool_use["name"]),
            "arguments": dumps(tool_input if isinstance(tool_input, dict) else {}).decode(),
        },
    }


def converse_to_chat_completion(response: JSONObject, model: str) -> JSONObject:
    """Translate a Converse answer into an OpenAI ``chat.completion``; raises ``ValueError`` and kin
    for an answer of the wrong shape (``trueport.providers.answers.translating``)."""
    message = response["output"]["message"]
    texts: list[str] = []
    calls: list[JSONObject] = []
    for block in message["content"]:
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif isinstance(block.get("toolUse"), dict):
            calls.append(_tool_call(block["toolUse"]))
    text = "".join(texts)
    answer: JSONObject = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        answer["tool_calls"] = calls
    reason = finish_reason(response.get("stopReason"))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": answer, "logprobs": None, "finish_reason": reason}],
        "usage": _usage_body(usage_from_bedrock(response.get("usage"))),
    }


class ConverseStreamToChatChunks:
    """Turns ConverseStream events (by ``:event-type``) into ``chat.completion.chunk`` objects.

    Events: ``messageStart``, ``contentBlockStart`` (a tool call's id and name),
    ``contentBlockDelta`` (text, or a piece of a tool call's JSON input), ``contentBlockStop``,
    ``messageStop`` (the stop reason) and ``metadata`` (usage), in that order. ``finished`` is true
    once ``messageStop`` arrived: a stream that ends before it was cut off.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.usage = Usage()
        self.finished = False
        self._started = False
        self._tools: dict[int, int] = {}  # content block index -> tool call index

    def feed(self, event_type: str, data: JSONObject) -> list[JSONObject]:
        """The chunks one event adds (possibly none)."""
        chunks: list[JSONObject] = []
        if event_type == "metadata":
            if "usage" in data:
                self.usage = usage_from_bedrock(data["usage"])
            return chunks
        if not self._started and event_type in ("messageStart", "contentBlockStart", "contentBlockDelta"):
            self._started = True
            chunks.append(self._chunk({"role": "assistant", "content": ""}))
        if event_type == "contentBlockStart":
            tool_use = data["start"].get("toolUse")
            if isinstance(tool_use, dict):
                index = len(self._tools)
                self._tools[int(data["contentBlockIndex"])] = index
                call = {"index": index, "id": str(tool_use["toolUseId"]), "type": "function"}
                function = {"name": str(tool_use["name"]), "arguments": ""}
                chunks.append(self._chunk({"tool_calls": [call | {"function": function}]}))
        elif event_type == "contentBlockDelta":
            delta = data["delta"]
            if isinstance(delta.get("text"), str) and delta["text"]:
                chunks.append(self._chunk({"content": delta["text"]}))
            tool_use = delta.get("toolUse")
            if isinstance(tool_use, dict) and isinstance(tool_use.get("input"), str):
                index = self._tools[int(data["contentBlockIndex"])]
                piece = {"index": index, "function": {"arguments": tool_use["input"]}}
                chunks.append(self._chunk({"tool_calls": [piece]}))
        elif event_type == "messageStop":
            self.finished = True
            chunks.append(self._chunk({}, finish_reason(data.get("stopReason"))))
        return chunks

    def finish(self) -> list[JSONObject]:
        """The closing usage chunk, in the shape OpenAI sends for ``stream_options.include_usage``."""
        return [self._envelope([]) | {"usage": _usage_body(self.usage)}]

    def _chunk(self, delta: JSONObject, reason: str | None = None) -> JSONObject:
        return self._envelope([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}])

    def _envelope(self, choices: list[JSONObject]) -> JSONObject:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }
