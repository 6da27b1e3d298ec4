"""OpenAI's wire format: chat completions (JSON and SSE), embeddings, models."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from aiohttp import web

from trueport.jsonutil import JSONObject
from trueport.mockprovider.answers import Answer, Prompt, TurnKind, compose, count_words
from trueport.mockprovider.exchange import (
    Exchange,
    MockError,
    bearer_token,
    json_response,
    send_json,
    send_stream,
    sse_data,
)
from trueport.mockprovider.faults import Faults
from trueport.mockprovider.vectors import DEFAULT_DIMENSIONS, MAX_DIMENSIONS, embed, to_base64

MODELS = ("gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "mock-chat")
_MODELS_CREATED = 1_700_000_000
_FINISH = {"stop": "stop", "length": "length", "tool": "tool_calls"}
_DONE = b"data: [DONE]\n\n"


class OpenAIDialect:
    name: ClassVar[str] = "openai"
    credential_hint: ClassVar[str] = "Authorization: Bearer <key>"
    request_id_header: ClassVar[str] = "x-request-id"

    def credential(self, request: web.Request) -> str | None:
        return bearer_token(request)

    def error_body(self, error: MockError) -> JSONObject:
        return {
            "error": {
                "message": error.message,
                "type": _error_type(error.status),
                "param": error.param,
                "code": error.code or _error_code(error.status),
            }
        }


def _error_type(status: int) -> str:
    if status == 429:
        return "requests"
    return "server_error" if status >= 500 else "invalid_request_error"


def _error_code(status: int) -> str | None:
    return {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}.get(status)


def content_text(content: Any) -> str:
    """The text of a message ``content``: a string or a list of parts (text parts joined by newlines)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _chosen_tool(body: JSONObject) -> str | None:
    tools = body.get("tools")
    choice = body.get("tool_choice", "auto")
    if not isinstance(tools, list) or not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        named = choice.get("function")
        if isinstance(named, dict) and isinstance(named.get("name"), str):
            return str(named["name"])
    first = tools[0].get("function") if isinstance(tools[0], dict) else None
    if not isinstance(first, dict) or not isinstance(first.get("name"), str):
        raise MockError(400, "tools[0].function.name is required", param="tools")
    return str(first["name"])


def _max_tokens(body: JSONObject) -> int | None:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise MockError(400, "max_tokens must be a positive integer", param="max_tokens")
    return value


def read_prompt(body: JSONObject) -> Prompt:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise MockError(400, "'messages' must be a non-empty array", param="messages")
    texts: list[str] = []
    last_user = ""
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise MockError(400, "each message must be an object with a 'role'", param="messages")
        text = content_text(message.get("content"))
        texts.append(text)
        if message["role"] == "user":
            last_user = text
    final = messages[-1]
    kind: TurnKind = "tool" if final["role"] == "tool" else "user"
    last_text = texts[-1] if kind == "tool" else last_user
    return Prompt(
        texts=texts,
        last_kind=kind,
        last_text=last_text,
        tool=_chosen_tool(body),
        max_tokens=_max_tokens(body),
    )


def _usage(answer: Answer, faults: Faults | None = None) -> JSONObject:
    if faults is not None and faults.usage is not None:  # the ``usage=P,C`` directive
        prompt, completion = faults.usage
        return {"prompt_tokens": prompt, "completion_tokens": completion}
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.prompt_tokens + answer.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _completion(
    answer: Answer, *, ident: str, model: str, call_id: str, faults: Faults | None = None
) -> JSONObject:
    message: JSONObject = {
        "role": "assistant",
        "content": answer.text if answer.tool_call is None else None,
        "refusal": None,
    }
    if answer.tool_call is not None:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": answer.tool_call.name, "arguments": answer.tool_call.arguments_json},
            }
        ]
    return {
        "id": ident,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _FINISH[answer.stop]}
        ],
        "usage": _usage(answer, faults),
        "system_fingerprint": "fp_mock",
    }


def _chunks(
    answer: Answer,
    *,
    ident: str,
    model: str,
    call_id: str,
    include_usage: bool,
    faults: Faults | None = None,
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    base: JSONObject = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_mock",
    }
    if include_usage:
        base["usage"] = None

    def chunk(delta: JSONObject, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse_data({**base, "choices": [choice]})

    call = answer.tool_call
    if call is None:
        lead = chunk({"role": "assistant", "content": "", "refusal": None})
        content = [chunk({"content": piece}) for piece in answer.pieces]
    else:
        lead = chunk(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ],
            }
        )
        content = [
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            for piece in answer.argument_pieces
        ]
    tail = [chunk({}, _FINISH[answer.stop])]
    if include_usage:
        tail.append(sse_data({**base, "choices": [], "usage": _usage(answer, faults)}))
    tail.append(_DONE)
    return [lead], content, tail


def _model(body: JSONObject) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise MockError(400, "'model' is required", param="model")
    return model


async def answer_chat(ex: Exchange, body: JSONObject, model: str) -> web.StreamResponse:
    """Answer a chat completion request for ``model`` (the body's, or an Azure deployment's)."""
    prompt = read_prompt(body)
    faults = await ex.apply_faults(model)
    answer = compose(prompt)
    ident, call_id = ex.next_id("chatcmpl-"), ex.next_id("call_")
    if not body.get("stream"):
        completion = _completion(answer, ident=ident, model=model, call_id=call_id, faults=faults)
        return await send_json(ex, completion, faults)
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    lead, content, tail = _chunks(
        answer, ident=ident, model=model, call_id=call_id, include_usage=include_usage, faults=faults
    )
    return await send_stream(ex, faults, lead=lead, content=content, tail=tail)


async def chat(ex: Exchange) -> web.StreamResponse:
    body = ex.body()
    return await answer_chat(ex, body, _model(body))


def _input_text(item: Any) -> str | None:
    """One embedding input as text: a string, or a token array (its numbers joined by spaces)."""
    if isinstance(item, str):
        return item
    if isinstance(item, list) and item and all(isinstance(token, int) for token in item):
        return " ".join(map(str, item))
    return None


def _embedding_inputs(body: JSONObject) -> list[str]:
    value = body.get("input")
    items = [value] if isinstance(value, str) or _input_text(value) is not None else value
    texts = [_input_text(item) for item in items] if isinstance(items, list) and items else [None]
    if any(text is None for text in texts):
        raise MockError(
            400, "'input' must be a string, an array of strings or an array of token arrays", param="input"
        )
    return [text for text in texts if text is not None]


def _dimensions(value: Any) -> int:
    if value is None:
        return DEFAULT_DIMENSIONS
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DIMENSIONS:
        raise MockError(
            400, f"'dimensions' must be an integer from 1 to {MAX_DIMENSIONS}", param="dimensions"
        )
    return value


async def answer_embeddings(ex: Exchange, body: JSONObject, model: str) -> web.StreamResponse:
    texts = _embedding_inputs(body)
    dimensions = _dimensions(body.get("dimensions"))
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise MockError(400, "'encoding_format' must be 'float' or 'base64'", param="encoding_format")
    faults = await ex.apply_faults(model)
    data = []
    for index, text in enumerate(texts):
        vector = embed(text, dimensions)
        data.append(
            {
                "object": "embedding",
                "index": index,
                "embedding": to_base64(vector) if encoding == "base64" else vector,
            }
        )
    tokens = max(1, sum(count_words(text) for text in texts))
    payload = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return await send_json(ex, payload, faults)


async def embeddings(ex: Exchange) -> web.StreamResponse:
    body = ex.body()
    return await answer_embeddings(ex, body, _model(body))


def _model_object(model: str) -> JSONObject:
    return {"id": model, "object": "model", "created": _MODELS_CREATED, "owned_by": "trueport-mock"}


async def list_models(ex: Exchange) -> web.StreamResponse:
    return json_response(ex, {"object": "list", "data": [_model_object(model) for model in MODELS]})


async def get_model(ex: Exchange) -> web.StreamResponse:
    return json_response(ex, _model_object(ex.request.match_info["model"]))
