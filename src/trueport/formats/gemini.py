"""Google AI Studio (Gemini API v1beta) to and from the canonical OpenAI chat format, streams included.

Pure translations, no I/O: ``trueport.providers.gemini`` does the calling. Gemini differs from OpenAI
in ways that shape this module:

- one ``systemInstruction`` instead of system messages, and roles ``user``/``model`` that should
  alternate, so consecutive turns of one role are merged;
- tool results are ``functionResponse`` parts matched by function *name*, not by call id, and Gemini
  returns no call ids, so ids are made up here and names are looked up from the request's history;
- function parameters and ``responseSchema`` accept only an OpenAPI 3.0 subset of JSON Schema, so
  schemas are rewritten (``$ref`` inlined, nullable unions folded, unknown keywords dropped);
- thinking models sign their function calls (``thoughtSignature``) and refuse a replayed call without
  its signature. The signature travels to the client as ``tool_calls[].extra_content.google
  .thought_signature`` (the convention of Google's own OpenAI endpoint) and comes back the same way.

Request fields the format cannot honour raise ``InvalidRequest``; hints with no Gemini counterpart
that do not change what a correct answer is (``user``, ``metadata``, ``parallel_tool_calls``,
``reasoning_effort``, ...) are dropped.
"""

from __future__ import annotations

import base64
import posixpath
import struct
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from trueport.errors import InvalidRequest
from trueport.formats.parts import text_only
from trueport.jsonutil import JSONDecodeError, JSONObject, dumps, loads
from trueport.providers.base import Usage
from trueport.usage.upstream import upstream_count

# Google's documented value for a replayed function call that has no signature of its own (a history
# written by another provider, e.g. after failover): Gemini 3 rejects such a call without it.
SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator"

_TOOL_CHOICE_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
_FILTERED = [
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
]
_FINISH_REASONS = {"STOP": "stop", "MAX_TOKENS": "length", **dict.fromkeys(_FILTERED, "content_filter")}
_MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".pdf": "application/pdf",
}
_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mp3"}
# The Schema fields Gemini accepts; everything else (additionalProperties, $schema, strict, title,
# default, examples, ...) is dropped, because an unknown keyword fails the whole request.
_SCHEMA_KEYS = frozenset(
    [
        "description",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "minProperties",
        "maxProperties",
        "propertyOrdering",
    ]
)
_SCHEMA_FORMATS = {
    "string": {"enum", "date-time"},
    "number": {"float", "double"},
    "integer": {"int32", "int64"},
}
# OpenAI name -> generationConfig name, for the fields that map one to one.
_GENERATION_NUMBERS = {
    "temperature": "temperature",
    "top_p": "topP",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}
_GENERATION_INTEGERS = {"seed": "seed", "n": "candidateCount"}


# ---------------------------------------------------------------- requests


def chat_request_to_generate_content(request: JSONObject) -> JSONObject:
    """Translate an OpenAI chat request into a ``generateContent`` body (the model goes in the URL)."""
    _refuse_unsupported(request)
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty list", param="messages")
    system, contents = _contents(messages)
    if not contents:
        raise InvalidRequest("Gemini needs at least one user or assistant message", param="messages")
    body: JSONObject = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    declarations = _function_declarations(request.get("tools"))
    if declarations:
        body["tools"] = [{"functionDeclarations": declarations}]
    tool_config = _tool_config(request.get("tool_choice"), {d["name"] for d in declarations})
    if tool_config:
        body["toolConfig"] = tool_config
    config = _generation_config(request)
    if config:
        body["generationConfig"] = config
    return body


def _refuse_unsupported(request: JSONObject) -> None:
    if request.get("logprobs") or request.get("top_logprobs"):
        raise InvalidRequest("logprobs are not available from Gemini targets", param="logprobs")
    if request.get("logit_bias"):
        raise InvalidRequest("logit_bias is not available from Gemini targets", param="logit_bias")
    modalities = request.get("modalities")
    if request.get("audio") is not None or (isinstance(modalities, list) and set(modalities) - {"text"}):
        raise InvalidRequest("Gemini targets answer with text only", param="modalities")


def _contents(messages: list[Any]) -> tuple[list[JSONObject], list[JSONObject]]:
    """Return ``(systemInstruction parts, contents)``; all system text goes first, in order."""
    system: list[JSONObject] = []
    contents: list[JSONObject] = []
    call_names: dict[str, str] = {}  # tool_call id -> function name, for the tool messages that follow
    for i, message in enumerate(messages):
        param = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{param} must be an object", param=param)
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend({"text": text} for text in text_only(message.get("content"), param))
            continue
        if role == "user":
            gemini_role, parts = "user", _user_parts(message.get("content"), param)
        elif role == "assistant":
            gemini_role, parts = "model", _assistant_parts(message, param, call_names)
        elif role == "tool":
            gemini_role, parts = "user", [_function_response(message, param, call_names)]
        else:
            raise InvalidRequest(f"{param}: role {role!r} cannot be sent to Gemini", param=f"{param}.role")
        if not parts:  # Gemini rejects a turn without parts
            continue
        if contents and contents[-1]["role"] == gemini_role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": gemini_role, "parts": parts})
    return system, contents


def _user_parts(content: object, param: str) -> list[JSONObject]:
    if not isinstance(content, list):
        return [{"text": text} for text in text_only(content, param)]
    parts: list[JSONObject] = []
    for j, part in enumerate(content):
        where = f"{param}.content[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        value = part.get(kind) if isinstance(part, dict) and isinstance(kind, str) else None
        if kind == "text" and isinstance(value, str):
            if value:
                parts.append({"text": value})
        elif kind == "image_url" and isinstance(value, dict) and isinstance(value.get("url"), str):
            parts.append(_media_part(value["url"], where, default_type="image/jpeg"))
        elif (
            kind == "input_audio"
            and isinstance(value, dict)
            and value.get("format") in _AUDIO_TYPES
            and isinstance(value.get("data"), str)
        ):
            parts.append({"inlineData": {"mimeType": _AUDIO_TYPES[value["format"]], "data": value["data"]}})
        elif kind == "file" and isinstance(value, dict) and isinstance(value.get("file_data"), str):
            parts.append(_media_part(value["file_data"], where, default_type=None))
        else:
            raise InvalidRequest(
                f"{where}: a {kind!r} part cannot be sent to Gemini (text, image_url, "
                "input_audio and file with file_data are supported)",
                param=where,
            )
    return parts


def _media_part(url: str, param: str, *, default_type: str | None) -> JSONObject:
    """A ``data:`` URL is sent inline; any other URL by reference, its type guessed from its path."""
    if url.startswith("data:"):
        header, comma, data = url[5:].partition(",")
        media_type, *options = header.split(";")
        if not comma or not media_type or "base64" not in options:
            raise InvalidRequest(f"{param}: a data URL must be base64 with a media type", param=param)
        return {"inlineData": {"mimeType": media_type, "data": data}}
    if default_type is None:
        raise InvalidRequest(f"{param}: file_data must be a base64 data URL", param=param)
    suffix = posixpath.splitext(urlsplit(url).path)[1].lower()
    return {"fileData": {"mimeType": _MEDIA_TYPES.get(suffix, default_type), "fileUri": url}}


def _assistant_parts(message: JSONObject, param: str, call_names: dict[str, str]) -> list[JSONObject]:
    parts: list[JSONObject] = [{"text": text} for text in text_only(message.get("content"), param)]
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, list):
        raise InvalidRequest(f"{param}.tool_calls must be a list", param=f"{param}.tool_calls")
    for j, call in enumerate(tool_calls):
        where = f"{param}.tool_calls[{j}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(f"{where}: needs function.name", param=where)
        part: JSONObject = {
            "functionCall": {"name": function["name"], "args": _arguments(function.get("arguments"), where)}
        }
        signature = _thought_signature(call)
        if signature or j == 0:  # Gemini checks the first call of each step; parallel calls carry none
            part["thoughtSignature"] = signature or SKIP_THOUGHT_SIGNATURE
        parts.append(part)
        if isinstance(call.get("id"), str):
            call_names[call["id"]] = function["name"]
    return parts


def _arguments(value: object, param: str) -> JSONObject:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = loads(value)
        except JSONDecodeError as exc:
            raise InvalidRequest(f"{param}: function.arguments is not valid JSON", param=param) from exc
    if not isinstance(value, dict):
        raise InvalidRequest(f"{param}: function.arguments must be a JSON object", param=param)
    return value


def _thought_signature(call: JSONObject) -> str | None:
    extra = call.get("extra_content")
    google = extra.get("google") if isinstance(extra, dict) else None
    signature = google.get("thought_signature") if isinstance(google, dict) else None
    return signature if isinstance(signature, str) and signature else None


def _function_response(message: JSONObject, param: str, call_names: dict[str, str]) -> JSONObject:
    call_id = message.get("tool_call_id")
    name = call_names.get(call_id) if isinstance(call_id, str) else None
    if name is None:
        raise InvalidRequest(
            f"{param}: tool_call_id {call_id!r} matches no earlier assistant tool call",
            param=f"{param}.tool_call_id",
        )
    text = "".join(text_only(message.get("content"), param))
    try:
        value: object = loads(text)
    except JSONDecodeError:
        value = text
    return {"functionResponse": {"name": name, "response": {"content": value}}}


def _function_declarations(tools: object) -> list[JSONObject]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("'tools' must be a list", param="tools")
    declarations = []
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if (
            not isinstance(function, dict)
            or not isinstance(function.get("name"), str)
            or not function["name"]
        ):
            raise InvalidRequest(
                f"{where}: only function tools with a name can be sent to Gemini", param=where
            )
        declaration: JSONObject = {"name": function["name"]}
        if isinstance(function.get("description"), str):
            declaration["description"] = function["description"]
        if function.get("parameters") is not None:
            schema = to_gemini_schema(function["parameters"], param=f"{where}.function.parameters")
            # Gemini rejects an OBJECT without properties; a function without parameters says the same.
            if schema.get("type") != "object" or schema.get("properties"):
                declaration["parameters"] = schema
        declarations.append(declaration)
    return declarations


def _tool_config(choice: object, names: set[str]) -> JSONObject | None:
    if choice is None:
        return None
    if isinstance(choice, str) and choice in _TOOL_CHOICE_MODES:
        if not names:
            if choice == "required":
                raise InvalidRequest("tool_choice 'required' needs tools", param="tool_choice")
            return None
        return {"functionCallingConfig": {"mode": _TOOL_CHOICE_MODES[choice]}}
    function = (
        choice.get("function") if isinstance(choice, dict) and choice.get("type") == "function" else None
    )
    if isinstance(function, dict):
        name = function.get("name")
        if not isinstance(name, str) or name not in names:
            raise InvalidRequest(
                f"tool_choice names {name!r}, which is not among the tools", param="tool_choice"
            )
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
    raise InvalidRequest(
        "tool_choice must be 'auto', 'none', 'required' or a named function", param="tool_choice"
    )


def _generation_config(request: JSONObject) -> JSONObject:
    config: JSONObject = {}
    for fields, kinds in ((_GENERATION_NUMBERS, (int, float)), (_GENERATION_INTEGERS, (int,))):
        for source, target in fields.items():
            value = request.get(source)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise InvalidRequest(
                    f"'{source}' must be {'an integer' if kinds == (int,) else 'a number'}", param=source
                )
            config[target] = value
    max_tokens = request.get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = request.get("max_tokens")
    if max_tokens is not None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise InvalidRequest("'max_tokens' must be a positive integer", param="max_tokens")
        config["maxOutputTokens"] = max_tokens
    stop = request.get("stop")
    stops = [stop] if isinstance(stop, str) else stop
    if stops:
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise InvalidRequest("'stop' must be a string or a list of strings", param="stop")
        config["stopSequences"] = stops
    config.update(_response_format(request.get("response_format")))
    return config


def _response_format(value: object) -> JSONObject:
    kind = value.get("type") if isinstance(value, dict) else value
    if kind is None or kind == "text":
        return {}
    if kind == "json_object":
        return {"responseMimeType": "application/json"}
    spec = value.get("json_schema") if isinstance(value, dict) and kind == "json_schema" else None
    if not isinstance(spec, dict):
        raise InvalidRequest(
            "response_format must be text, json_object or json_schema", param="response_format"
        )
    config: JSONObject = {"responseMimeType": "application/json"}
    if spec.get("schema") is not None:
        config["responseSchema"] = to_gemini_schema(
            spec["schema"], param="response_format.json_schema.schema"
        )
    return config


def to_gemini_schema(schema: object, *, param: str = "schema") -> JSONObject:
    """Rewrite a JSON Schema into the OpenAPI 3.0 subset Gemini accepts.

    Local ``$ref``s are inlined (a recursive schema cannot be, and is refused), ``allOf`` is merged,
    ``["T", "null"]`` types and ``anyOf``/``oneOf`` with a null branch become ``nullable``, ``const``
    becomes a one-value ``enum``, ``required`` keeps only declared properties, and every keyword Gemini
    does not know is dropped.
    """
    if not isinstance(schema, dict):
        raise InvalidRequest(f"{param} must be a JSON object", param=param)
    definitions: JSONObject = {}
    for key in ("definitions", "$defs"):
        if isinstance(schema.get(key), dict):
            definitions.update(schema[key])
    return _schema(schema, definitions, param, ())


def _schema(node: object, definitions: JSONObject, param: str, seen: tuple[str, ...]) -> JSONObject:
    if not isinstance(node, dict):
        raise InvalidRequest(f"{param}: a schema must be a JSON object", param=param)
    rest = {key: value for key, value in node.items() if key not in ("$ref", "allOf")}
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rpartition("/")[2]
        if not ref.startswith(("#/$defs/", "#/definitions/")) or name not in definitions:
            raise InvalidRequest(f"{param}: cannot resolve $ref {ref!r}", param=param)
        if name in seen:
            raise InvalidRequest(
                f"{param}: recursive schemas ($ref {ref!r}) cannot be sent to Gemini", param=param
            )
        return _schema({**definitions[name], **rest}, definitions, param, (*seen, name))
    if isinstance(node.get("allOf"), list):
        merged: JSONObject = {}
        for part in [*node["allOf"], rest]:
            sub = _schema(part, definitions, param, seen)
            merged = {
                **merged,
                **sub,
                "properties": {**merged.get("properties", {}), **sub.get("properties", {})},
                "required": [*merged.get("required", []), *sub.get("required", [])],
            }
        return _schema(merged, definitions, param, seen)

    nullable = node.get("nullable") is True
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        nullable = nullable or len(kinds) < len(kind)
        if len(kinds) > 1:  # a union of types is an anyOf of one schema per type
            union: JSONObject = {
                "anyOf": [_schema({**rest, "type": k}, definitions, param, seen) for k in kinds]
            }
            return {**union, "nullable": True} if nullable else union
        kind = kinds[0] if kinds else None
    variants = rest.pop("anyOf", None) or rest.pop("oneOf", None)
    branches: list[Any] = []
    if isinstance(variants, list):
        branches = [v for v in variants if not (isinstance(v, dict) and v.get("type") == "null")]
        nullable = nullable or len(branches) < len(variants)
        if len(branches) == 1:  # Optional[T]: T, nullable, with the outer description
            outer = {key: value for key, value in rest.items() if key not in ("type", "nullable")}
            single = _schema({**branches[0], **outer}, definitions, param, seen)
            return {**single, "nullable": True} if nullable else single
    out: JSONObject = {}
    if branches:
        out["anyOf"] = [_schema(v, definitions, f"{param}.anyOf[{i}]", seen) for i, v in enumerate(branches)]
    kind_name = kind.lower() if isinstance(kind, str) else None
    if kind_name is not None:
        out["type"] = kind
    if nullable:
        out["nullable"] = True
    if "const" in node and "enum" not in node:
        out["enum"] = [node["const"]]
        if kind_name is None and isinstance(node["const"], str):  # Gemini enums are STRINGs
            out["type"] = "string"
    properties = node.get("properties")
    if kind_name in (None, "object") and isinstance(properties, dict) and properties:
        out["properties"] = {
            name: _schema(sub, definitions, f"{param}.properties.{name}", seen)
            for name, sub in properties.items()
        }
        required = [name for name in node.get("required") or [] if name in out["properties"]]
        if required:
            out["required"] = list(dict.fromkeys(required))
    if kind_name in (None, "array") and "items" in node:
        if not isinstance(node["items"], dict):
            raise InvalidRequest(f"{param}: tuple schemas cannot be sent to Gemini", param=param)
        out["items"] = _schema(node["items"], definitions, f"{param}.items", seen)
    form = node.get("format")
    if isinstance(form, str) and form in _SCHEMA_FORMATS.get(kind_name or "", ()):
        out["format"] = form
    out.update((key, value) for key, value in rest.items() if key in _SCHEMA_KEYS)
    return out


# ---------------------------------------------------------------- answers


def usage_from_gemini(value: object) -> Usage:
    """Read ``usageMetadata``: thinking counts as completion, tool-use prompts as prompt.

    ``promptTokenCount`` already includes ``cachedContentTokenCount``, as OpenAI's prompt tokens
    include their cached part.
    """
    if not isinstance(value, dict):
        return Usage()
    if any(upstream_count(value.get(key)) is None for key in _USAGE_KEYS):
        return Usage(invalid=True)  # trueport.usage.upstream: the record takes the gateway's estimate
    return Usage(
        prompt_tokens=_count(value, "promptTokenCount") + _count(value, "toolUsePromptTokenCount"),
        completion_tokens=_count(value, "candidatesTokenCount") + _count(value, "thoughtsTokenCount"),
        cached_tokens=_count(value, "cachedContentTokenCount"),
    )


_USAGE_KEYS = (
    "promptTokenCount",
    "toolUsePromptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "cachedContentTokenCount",
)


def _count(value: JSONObject, key: str) -> int:
    return upstream_count(value.get(key)) or 0


def _usage_body(metadata: object) -> JSONObject:
    usage = usage_from_gemini(metadata)
    thoughts = _count(metadata, "thoughtsTokenCount") if isinstance(metadata, dict) else 0
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": thoughts},
    }


def _finish_reason(reason: object, has_tool_calls: bool) -> str:
    """Map a Gemini finishReason; reasons OpenAI has no word for (OTHER, LANGUAGE, ...) read as stop."""
    if reason == "STOP" and has_tool_calls:
        return "tool_calls"
    return _FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"


def _prompt_blocked(response: JSONObject) -> bool:
    feedback = response.get("promptFeedback")
    return isinstance(feedback, dict) and bool(feedback.get("blockReason"))


def _candidates(response: JSONObject) -> list[JSONObject]:
    candidates = response.get("candidates")
    return [c for c in candidates if isinstance(c, dict)] if isinstance(candidates, list) else []


def _candidate_index(candidate: JSONObject) -> int:
    index = candidate.get("index")  # proto3 JSON leaves out index 0
    return index if isinstance(index, int) else 0


def _answer_parts(candidate: JSONObject) -> tuple[str, list[JSONObject]]:
    """The answer text and the tool calls of one candidate; thought summaries are not the answer."""
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    texts: list[str] = []
    calls: list[JSONObject] = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict) or part.get("thought") is True:
            continue
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
        call = part.get("functionCall")
        if isinstance(call, dict):
            calls.append(_tool_call(call, part.get("thoughtSignature")))
    return "".join(texts), calls


def _tool_call(call: JSONObject, signature: object) -> JSONObject:
    args = call.get("args")
    tool_call: JSONObject = {
        "id": f"call_{uuid.uuid4().hex[:24]}",  # Gemini has no ids; a unique one keeps multi-turn lookups right
        "type": "function",
        "function": {
            "name": str(call.get("name", "")),
            "arguments": dumps(args if isinstance(args, dict) else {}).decode(),
        },
    }
    if isinstance(signature, str) and signature:
        tool_call["extra_content"] = {"google": {"thought_signature": signature}}
    return tool_call


def _completion_id(response: JSONObject) -> str:
    response_id = response.get("responseId")
    return f"chatcmpl-{response_id if isinstance(response_id, str) and response_id else uuid.uuid4().hex}"


def generate_content_to_chat_completion(response: JSONObject, model: str) -> JSONObject:
    """Translate a ``generateContent`` answer into an OpenAI ``chat.completion``; one choice per candidate."""
    choices = []
    for candidate in sorted(_candidates(response), key=_candidate_index):
        text, calls = _answer_parts(candidate)
        message: JSONObject = {"role": "assistant", "content": text if text or not calls else None}
        if calls:
            message["tool_calls"] = calls
        choices.append(
            {
                "index": _candidate_index(candidate),
                "message": message,
                "logprobs": None,
                "finish_reason": _finish_reason(candidate.get("finishReason"), bool(calls)),
            }
        )
    if not choices:  # a blocked prompt has no candidates: an empty, filtered answer
        choices.append(
            {
                "index": 0,
                "message": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": "content_filter" if _prompt_blocked(response) else "stop",
            }
        )
    return {
        "id": _completion_id(response),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": _usage_body(response.get("usageMetadata")),
    }


class GenerateContentStreamToChatChunks:
    """Turns the events of ``streamGenerateContent?alt=sse`` into ``chat.completion.chunk`` objects.

    Each event is a partial ``GenerateContentResponse``: new text, whole function calls (Gemini does
    not stream arguments piecewise), and on the last one a ``finishReason`` and the final usage.
    ``finished`` tells the caller whether the stream reached its end, since Gemini sends no ``[DONE]``.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.usage = Usage()
        self.finished = False
        self._usage_metadata: JSONObject = {}
        self._started: set[int] = set()
        self._tool_calls: dict[int, int] = {}  # candidate index -> tool calls sent so far

    def feed(self, data: JSONObject) -> list[JSONObject]:
        """The chunks one event adds (possibly none)."""
        metadata = data.get("usageMetadata")
        if isinstance(metadata, dict):
            self._usage_metadata = metadata
            self.usage = usage_from_gemini(metadata)
        candidates = _candidates(data)
        if not candidates and _prompt_blocked(data):
            self.finished = True
            return [
                self._chunk(0, {"role": "assistant", "content": ""}),
                self._chunk(0, {}, "content_filter"),
            ]
        chunks = []
        for candidate in candidates:
            index = _candidate_index(candidate)
            text, calls = _answer_parts(candidate)
            delta: JSONObject = {}
            if index not in self._started:
                self._started.add(index)
                delta = {"role": "assistant", "content": text or (None if calls else "")}
            elif text:
                delta["content"] = text
            if calls:
                sent = self._tool_calls.get(index, 0)
                delta["tool_calls"] = [{"index": sent + i, **call} for i, call in enumerate(calls)]
                self._tool_calls[index] = sent + len(calls)
            if delta:
                chunks.append(self._chunk(index, delta))
            reason = candidate.get("finishReason")
            if reason:
                self.finished = True
                chunks.append(self._chunk(index, {}, _finish_reason(reason, index in self._tool_calls)))
        return chunks

    def finish(self) -> list[JSONObject]:
        """The closing usage chunk, in the shape OpenAI sends for ``stream_options.include_usage``."""
        return [self._envelope([]) | {"usage": _usage_body(self._usage_metadata)}]

    def _chunk(self, index: int, delta: JSONObject, finish_reason: str | None = None) -> JSONObject:
        return self._envelope(
            [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        )

    def _envelope(self, choices: list[JSONObject]) -> JSONObject:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }


# ---------------------------------------------------------------- embeddings


def embedding_inputs(request: JSONObject) -> list[str]:
    """The texts of an OpenAI embeddings request; Gemini embeds text, so token arrays are refused."""
    value = request.get("input")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return list(value)
    if isinstance(value, list) and value and all(isinstance(item, (int, list)) for item in value):
        raise InvalidRequest(
            "Gemini embeds text only: send 'input' as strings, not token arrays", param="input"
        )
    raise InvalidRequest("'input' must be a string or a non-empty list of strings", param="input")


def estimate_tokens(texts: list[str]) -> int:
    """About four characters a token: ``batchEmbedContents`` reports no usage, and metering needs a number."""
    return sum(max(1, (len(text) + 3) // 4) for text in texts)


def embeddings_request_to_batch_embed(request: JSONObject, model: str) -> JSONObject:
    """Translate an OpenAI embeddings request into a ``batchEmbedContents`` body."""
    texts = embedding_inputs(request)
    dimensions = request.get("dimensions")
    if dimensions is not None and (
        isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1
    ):
        raise InvalidRequest("'dimensions' must be a positive integer", param="dimensions")
    if request.get("encoding_format") not in (None, "float", "base64"):
        raise InvalidRequest("'encoding_format' must be float or base64", param="encoding_format")
    name = model if model.startswith("models/") else f"models/{model}"
    requests = []
    for text in texts:
        entry: JSONObject = {"model": name, "content": {"parts": [{"text": text}]}}
        if dimensions is not None:
            entry["outputDimensionality"] = dimensions
        requests.append(entry)
    return {"requests": requests}


def batch_embed_to_embeddings(
    response: JSONObject, model: str, prompt_tokens_estimate: int, *, encoding_format: str = "float"
) -> JSONObject:
    """Translate a ``batchEmbedContents`` answer into an OpenAI embeddings ``list``.

    ``encoding_format="base64"`` packs each vector as little-endian float32, as OpenAI does (and as the
    official OpenAI SDK asks for by default). Raises ``ValueError`` for an answer of the wrong shape.
    """
    embeddings = response.get("embeddings")
    if not isinstance(embeddings, list):
        raise ValueError("batchEmbedContents answer has no 'embeddings' list")
    data = []
    for index, embedding in enumerate(embeddings):
        values = embedding.get("values") if isinstance(embedding, dict) else None
        if not isinstance(values, list):
            raise ValueError(f"embedding {index} has no 'values' list")
        vector: object = values
        if encoding_format == "base64":
            vector = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": vector})
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens_estimate, "total_tokens": prompt_tokens_estimate},
    }
