"""OpenAI chat (canonical) → Anthropic Messages API (2023-06-01), and Anthropic's answers back.

Used when the gateway sends a canonical request to an Anthropic target: the request is rewritten for
``POST /v1/messages``, and the answer (a ``message`` object or its SSE events) becomes an OpenAI
``chat.completion`` or a series of ``chat.completion.chunk`` objects. Pure functions, no I/O.

Where the two APIs differ, the choices are:

- Anthropic allows only one ``system`` prompt, so every system/developer message, wherever it sits,
  joins the top-level ``system`` (in order, separated by a blank line).
- Anthropic requires user and assistant turns to alternate, and all results of one assistant turn's
  tool calls in the next user turn; consecutive messages of the same role (``tool`` counts as user)
  are merged into one turn. A message left with no content (e.g. ``""``) is dropped, since Anthropic
  rejects empty content.
- ``max_tokens`` is mandatory for Anthropic: ``max_completion_tokens``, else ``max_tokens``, else
  ``DEFAULT_MAX_TOKENS``. ``temperature`` above 1 (OpenAI allows up to 2) is clamped to Anthropic's 1.
  ``top_p`` is sent only without ``temperature``: current Claude models reject the two together
  ("use only one"), and OpenAI clients often send both.
- A request the target cannot honour is refused with ``InvalidRequest`` rather than answered wrongly:
  ``n`` > 1, ``logprobs``/``top_logprobs``, audio output, ``response_format`` of type ``json_schema``
  (a schema guarantee), legacy ``function`` messages, content parts other than text, image and
  base64 PDF files, and tool-call arguments that are not a JSON object.
- Parameters that only tune or annotate the answer are dropped silently: ``presence_penalty``,
  ``frequency_penalty``, ``seed``, ``logit_bias``, ``response_format`` of type ``text`` or
  ``json_object`` (OpenAI itself requires the prompt to ask for JSON), ``stream_options`` (Anthropic
  streams always report usage), ``store``, ``metadata``, ``service_tier``, ``reasoning_effort`` and
  anything unknown. Only listed fields are copied, so nothing unexpected reaches the provider.
- ``cache_control`` on text and image parts is kept, so clients can use Anthropic's prompt cache.
- In answers, ``thinking`` blocks and unknown block types are left out of the canonical message;
  text blocks are joined; ``tool_use`` input becomes a JSON-string ``arguments``.
"""

from __future__ import annotations

import time
from typing import Any

from trueport.errors import InvalidRequest, UpstreamStreamBroken
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.base import Usage
from trueport.usage.upstream import upstream_count

DEFAULT_MAX_TOKENS = 4096

# Anthropic stop_reason → OpenAI finish_reason.
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

_TOOL_CHOICES: dict[str, JSONObject] = {
    "auto": {"type": "auto"},
    "none": {"type": "none"},
    "required": {"type": "any"},
}


# --- usage -------------------------------------------------------------------------------------------


class UsageCounter:
    """Anthropic usage as it arrives in pieces: ``message_start`` first, then ``message_delta``.

    Counts on a ``message_delta`` are cumulative, so a present field replaces the earlier value and
    an absent one keeps it.
    """

    _FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")

    def __init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(self._FIELDS, 0)
        self.invalid = False  # a count was not an integer from 0 to MAX_UPSTREAM_TOKENS

    def update(self, value: object) -> None:
        if not isinstance(value, dict):
            return
        for field in self._FIELDS:
            if field not in value:
                continue
            number = upstream_count(value[field])
            if number is None:
                self.invalid = True
            elif value[field] is not None:
                self.counts[field] = number

    @property
    def usage(self) -> Usage:
        if self.invalid:
            return Usage(invalid=True)
        counts = self.counts
        return Usage(
            prompt_tokens=counts["input_tokens"]
            + counts["cache_read_input_tokens"]
            + counts["cache_creation_input_tokens"],
            completion_tokens=counts["output_tokens"],
            cached_tokens=counts["cache_read_input_tokens"],
        )


def usage_from_anthropic(value: object) -> Usage:
    """Read an Anthropic ``usage`` object (absent or partial usage counts as zero).

    Anthropic's ``input_tokens`` excludes prompt-cache reads and writes; OpenAI's ``prompt_tokens``
    includes them, so all three are added, and cache reads are reported as ``cached_tokens``.
    """
    counter = UsageCounter()
    counter.update(value)
    return counter.usage


def openai_usage(usage: Usage) -> JSONObject:
    """A canonical ``usage`` object for ``usage``."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
    }


# --- request -----------------------------------------------------------------------------------------


def chat_request_to_messages(request: JSONObject, model: str) -> JSONObject:
    """Translate a canonical chat request into an Anthropic Messages request for ``model``.

    Raises ``InvalidRequest`` for what Anthropic cannot honour (see the module docstring).
    """
    _refuse_unsupported(request)
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty list", param="messages")

    system: list[JSONObject] = []
    turns: list[JSONObject] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where} must be an object", param=where)
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(_content_blocks(message.get("content"), where, allow_media=False))
            continue
        if role == "user":
            _append_turn(turns, "user", _content_blocks(message.get("content"), where, allow_media=True))
        elif role == "assistant":
            _append_turn(turns, "assistant", _assistant_blocks(message, where))
        elif role == "tool":
            _append_turn(turns, "user", [_tool_result_block(message, where)])
        else:
            raise InvalidRequest(f"{where}.role {role!r} is not supported by Anthropic targets", param=where)

    for turn in turns:
        if turn["role"] == "user":  # Anthropic wants tool results before any other content of a turn
            turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    body: JSONObject = {"model": model, "messages": turns, "max_tokens": _max_tokens(request)}
    if system:
        body["system"] = _system_value(system)
    _copy_sampling(request, body)
    tools = request.get("tools")
    if tools:
        body["tools"] = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(_as_list(tools, "tools"))]
    tool_choice = _tool_choice(request.get("tool_choice"), request.get("parallel_tool_calls"))
    if tool_choice is not None and tools:
        body["tool_choice"] = tool_choice
    user = request.get("user")
    if isinstance(user, str) and user:
        body["metadata"] = {"user_id": user}
    if request.get("stream"):
        body["stream"] = True
    return body


def _refuse_unsupported(request: JSONObject) -> None:
    n = request.get("n")
    if n is not None and n != 1:
        raise InvalidRequest("Anthropic targets return one choice; 'n' must be 1", param="n")
    if request.get("logprobs") or request.get("top_logprobs"):
        raise InvalidRequest("Anthropic targets do not return log probabilities", param="logprobs")
    modalities = request.get("modalities")
    if request.get("audio") or (isinstance(modalities, list) and "audio" in modalities):
        raise InvalidRequest("Anthropic targets do not produce audio", param="modalities")
    response_format = request.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        raise InvalidRequest(
            "Anthropic targets cannot guarantee a 'json_schema' response format", param="response_format"
        )


def _max_tokens(request: JSONObject) -> int:
    for field in ("max_completion_tokens", "max_tokens"):
        value = request.get(field)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidRequest(f"'{field}' must be a positive integer", param=field)
        return value
    return DEFAULT_MAX_TOKENS


def _copy_sampling(request: JSONObject, body: JSONObject) -> None:
    temperature = request.get("temperature")
    if isinstance(temperature, int | float) and not isinstance(temperature, bool):
        body["temperature"] = min(float(temperature), 1.0)
    top_p = request.get("top_p")
    if isinstance(top_p, int | float) and not isinstance(top_p, bool) and "temperature" not in body:
        body["top_p"] = top_p
    top_k = request.get("top_k")  # not OpenAI's, but sent by clients that know the target is Anthropic
    if isinstance(top_k, int) and not isinstance(top_k, bool):
        body["top_k"] = top_k
    stop = request.get("stop")
    if isinstance(stop, str):
        body["stop_sequences"] = [stop]
    elif isinstance(stop, list) and stop:
        if not all(isinstance(s, str) for s in stop):
            raise InvalidRequest("'stop' must be a string or a list of strings", param="stop")
        body["stop_sequences"] = list(stop)


def _append_turn(turns: list[JSONObject], role: str, blocks: list[JSONObject]) -> None:
    if not blocks:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _system_value(blocks: list[JSONObject]) -> str | list[JSONObject]:
    """A plain string unless a block carries ``cache_control``, which only the block form can hold."""
    if any("cache_control" in block for block in blocks):
        return blocks
    return "\n\n".join(str(block["text"]) for block in blocks)


def _content_blocks(content: object, where: str, *, allow_media: bool) -> list[JSONObject]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or a list of parts", param=where)
    blocks: list[JSONObject] = []
    for j, part in enumerate(content):
        block = _content_block(part, f"{where}.content[{j}]", allow_media=allow_media)
        if block is not None:
            blocks.append(block)
    return blocks


def _content_block(part: object, where: str, *, allow_media: bool) -> JSONObject | None:
    if not isinstance(part, dict):
        raise InvalidRequest(f"{where} must be an object", param=where)
    kind = part.get("type")
    block: JSONObject
    if kind in ("text", "refusal"):
        text = part.get(kind)
        if not isinstance(text, str):
            raise InvalidRequest(f"{where}.{kind} must be a string", param=where)
        if not text:
            return None
        block = {"type": "text", "text": text}
    elif kind == "image_url" and allow_media:
        block = _image_block(part.get("image_url"), where)
    elif kind == "file" and allow_media:
        block = _document_block(part.get("file"), where)
    else:
        raise InvalidRequest(
            f"{where}: content part type {kind!r} is not supported by Anthropic targets", param=where
        )
    if isinstance(part.get("cache_control"), dict):
        block["cache_control"] = part["cache_control"]
    return block


def _image_block(image: object, where: str) -> JSONObject:
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str):
        raise InvalidRequest(f"{where}.image_url.url must be a string", param=where)
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    media_type, data = _parse_data_url(url, where)
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _document_block(file: object, where: str) -> JSONObject:
    data_url = file.get("file_data") if isinstance(file, dict) else None
    if not isinstance(data_url, str):
        raise InvalidRequest(f"{where}: only files given inline as 'file_data' are supported", param=where)
    media_type, data = _parse_data_url(data_url, where)
    if media_type != "application/pdf":
        raise InvalidRequest(f"{where}: Anthropic targets accept PDF files only", param=where)
    return {"type": "document", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _parse_data_url(url: str, where: str) -> tuple[str, str]:
    """``data:<media type>;base64,<data>`` → (media type, data); other URLs are refused."""
    header, comma, data = url.partition(",")
    if not (url.startswith("data:") and comma and header.endswith(";base64")):
        raise InvalidRequest(f"{where}: expected an http(s) URL or a base64 data: URL", param=where)
    media_type = header[len("data:") : -len(";base64")]
    return media_type, data


def _assistant_blocks(message: JSONObject, where: str) -> list[JSONObject]:
    blocks = _content_blocks(message.get("content"), where, allow_media=False)
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        blocks.append({"type": "text", "text": refusal})
    if message.get("function_call"):
        raise InvalidRequest(f"{where}.function_call is not supported; use tool_calls", param=where)
    for j, call in enumerate(_as_list(message.get("tool_calls") or [], f"{where}.tool_calls")):
        blocks.append(_tool_use_block(call, f"{where}.tool_calls[{j}]"))
    return blocks


def _tool_use_block(call: object, where: str) -> JSONObject:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(call, dict) or not isinstance(function, dict):
        raise InvalidRequest(f"{where} must be a function tool call", param=where)
    arguments = function.get("arguments") or "{}"
    try:
        parsed = loads(arguments) if isinstance(arguments, str) else arguments
    except JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise InvalidRequest(f"{where}.function.arguments must be a JSON object", param=where)
    if not isinstance(call.get("id"), str) or not isinstance(function.get("name"), str):
        raise InvalidRequest(f"{where} needs an 'id' and a 'function.name'", param=where)
    return {"type": "tool_use", "id": call["id"], "name": function["name"], "input": parsed}


def _tool_result_block(message: JSONObject, where: str) -> JSONObject:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"{where}.tool_call_id is required", param=where)
    content = message.get("content")
    block: JSONObject = {"type": "tool_result", "tool_use_id": call_id}
    if isinstance(content, str):
        block["content"] = content
    else:
        block["content"] = _content_blocks(content, where, allow_media=True)
    return block


def _tool(tool: object, where: str) -> JSONObject:
    function = tool.get("function") if isinstance(tool, dict) else None
    if (
        not isinstance(tool, dict)
        or tool.get("type", "function") != "function"
        or not isinstance(function, dict)
    ):
        raise InvalidRequest(f"{where}: only function tools are supported by Anthropic targets", param=where)
    parameters = function.get("parameters")
    result: JSONObject = {
        "name": function.get("name"),
        "input_schema": parameters if isinstance(parameters, dict) else {"type": "object", "properties": {}},
    }
    if function.get("description"):
        result["description"] = function["description"]
    if isinstance(tool.get("cache_control"), dict):
        result["cache_control"] = tool["cache_control"]
    return result


def _tool_choice(choice: object, parallel: object) -> JSONObject | None:
    result: JSONObject | None
    if choice is None:
        result = None
    elif isinstance(choice, str) and choice in _TOOL_CHOICES:
        result = dict(_TOOL_CHOICES[choice])
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        result = {"type": "tool", "name": choice["function"].get("name")}
    else:
        raise InvalidRequest(f"'tool_choice' {choice!r} is not supported", param="tool_choice")
    if parallel is False:
        result = result or {"type": "auto"}
        if result["type"] != "none":
            result["disable_parallel_tool_use"] = True
    return result


def _as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidRequest(f"'{where}' must be a list", param=where)
    return value


# --- response ----------------------------------------------------------------------------------------


def message_to_chat_completion(message: JSONObject, *, created: int | None = None) -> JSONObject:
    """Translate an Anthropic ``message`` object into a canonical ``chat.completion``.

    ``created`` defaults to now: Anthropic messages carry no timestamp.
    """
    texts: list[str] = []
    tool_calls: list[JSONObject] = []
    for block in message.get("content") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            tool_calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": _arguments(block.get("input"))},
                }
            )
    reply: JSONObject = {"role": "assistant", "content": "".join(texts) if texts else None, "refusal": None}
    if tool_calls:
        reply["tool_calls"] = tool_calls
    return {
        "id": message.get("id"),
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": message.get("model"),
        "choices": [
            {
                "index": 0,
                "message": reply,
                "finish_reason": finish_reason(message.get("stop_reason")) or "stop",
                "logprobs": None,
            }
        ],
        "usage": openai_usage(usage_from_anthropic(message.get("usage"))),
    }


def finish_reason(stop_reason: object) -> str | None:
    """OpenAI's ``finish_reason`` for an Anthropic ``stop_reason`` (unknown reasons count as "stop")."""
    if stop_reason is None:
        return None
    return FINISH_REASONS.get(str(stop_reason), "stop")


def _arguments(value: object) -> str:
    return dumps(value if value is not None else {}).decode()


# --- stream ------------------------------------------------------------------------------------------


class MessagesEventsToChatChunks:
    """Anthropic stream events → canonical ``chat.completion.chunk`` objects, one event at a time.

    The first chunk carries ``delta.role``; a ``tool_use`` block opens a ``tool_calls`` entry (id,
    name, empty arguments) and its ``input_json_delta`` fragments follow as argument pieces;
    ``message_delta`` gives the chunk with ``finish_reason``; ``message_stop`` the usage chunk
    (``choices: []``), after which ``finished`` is true. ``ping``, thinking deltas and unknown events
    produce nothing, as Anthropic asks clients to tolerate new event types.
    """

    def __init__(self, provider: str = "", *, created: int | None = None) -> None:
        self.provider = provider
        self.finished = False
        self._counter = UsageCounter()
        self._id = ""
        self._model = ""
        self._created = int(time.time()) if created is None else created
        self._tool_index: dict[int, int] = {}  # Anthropic block index → OpenAI tool_calls index
        self._tool_has_arguments: dict[int, bool] = {}

    @property
    def usage(self) -> Usage:
        return self._counter.usage

    def feed(self, event: str, data: JSONObject) -> list[JSONObject]:
        kind = event or str(data.get("type", ""))
        if kind == "message_start":
            message = data.get("message") or {}
            self._id = str(message.get("id", ""))
            self._model = str(message.get("model", ""))
            self._counter.update(message.get("usage"))
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            return self._block_start(data)
        if kind == "content_block_delta":
            return self._block_delta(data)
        if kind == "content_block_stop":
            index = data.get("index")
            if isinstance(index, int) and index in self._tool_index and not self._tool_has_arguments[index]:
                return [self._tool_chunk(index, {"function": {"arguments": "{}"}})]
            return []
        if kind == "message_delta":
            self._counter.update(data.get("usage"))
            reason = finish_reason((data.get("delta") or {}).get("stop_reason"))
            return [self._chunk({}, finish=reason)] if reason else []
        if kind == "message_stop":
            self.finished = True
            return [self._envelope([], usage=openai_usage(self.usage))]
        if kind == "error":
            error = data.get("error") or {}
            detail = (
                f"{error.get('type', 'error')}: {error.get('message', '')}" if isinstance(error, dict) else ""
            )
            raise UpstreamStreamBroken(
                f"{self.provider}: error inside stream ({detail})", provider=self.provider
            )
        return []

    def _block_start(self, data: JSONObject) -> list[JSONObject]:
        block = data.get("content_block") or {}
        index = data.get("index")
        if block.get("type") == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        if block.get("type") == "tool_use" and isinstance(index, int):
            self._tool_index[index] = len(self._tool_index)
            self._tool_has_arguments[index] = False
            opening = {
                "id": block.get("id"),
                "type": "function",
                "function": {"name": block.get("name"), "arguments": ""},
            }
            return [self._tool_chunk(index, opening)]
        return []

    def _block_delta(self, data: JSONObject) -> list[JSONObject]:
        delta = data.get("delta") or {}
        index = data.get("index")
        if delta.get("type") == "text_delta" and delta.get("text"):
            return [self._chunk({"content": delta["text"]})]
        if (
            delta.get("type") == "input_json_delta"
            and index in self._tool_index
            and delta.get("partial_json")
        ):
            self._tool_has_arguments[index] = True
            return [self._tool_chunk(index, {"function": {"arguments": delta["partial_json"]}})]
        return []

    def _tool_chunk(self, block_index: int, call: JSONObject) -> JSONObject:
        return self._chunk({"tool_calls": [{"index": self._tool_index[block_index], **call}]})

    def _chunk(self, delta: JSONObject, finish: str | None = None) -> JSONObject:
        return self._envelope([{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}])

    def _envelope(self, choices: list[JSONObject], **extra: Any) -> JSONObject:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
            **extra,
        }
