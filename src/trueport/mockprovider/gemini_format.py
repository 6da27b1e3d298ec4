"""Gemini's wire format: ``POST /v1beta/models/{model}:{method}``.

Methods: ``generateContent``, ``streamGenerateContent`` (SSE with ``alt=sse``, else one JSON array),
``embedContent`` and ``batchEmbedContents``. Field names are accepted in lowerCamel and snake_case,
as the REST API does.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web

from trueport.jsonutil import JSONObject, dumps
from trueport.mockprovider.answers import Answer, Prompt, TurnKind, compose
from trueport.mockprovider.exchange import Exchange, MockError, send_json, send_stream, sse_data
from trueport.mockprovider.vectors import DEFAULT_DIMENSIONS, MAX_DIMENSIONS, embed

_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool": "STOP"}
_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_RESULT_KEYS = ("result", "output", "content")


class GeminiDialect:
    name: ClassVar[str] = "gemini"
    credential_hint: ClassVar[str] = "x-goog-api-key: <key> (or ?key=<key>)"
    request_id_header: ClassVar[str] = "x-request-id"

    def credential(self, request: web.Request) -> str | None:
        return request.headers.get("x-goog-api-key") or request.query.get("key") or None

    def error_body(self, error: MockError) -> JSONObject:
        status = _STATUSES.get(error.status) or ("INTERNAL" if error.status >= 500 else "FAILED_PRECONDITION")
        return {"error": {"code": error.status, "message": error.message, "status": status}}


def _field(value: Any, camel: str) -> Any:
    """``value[camel]``, or its snake_case spelling; ``None`` when absent or ``value`` is no object."""
    if not isinstance(value, dict):
        return None
    if camel in value:
        return value[camel]
    return value.get("".join(f"_{c.lower()}" if c.isupper() else c for c in camel))


def _response_text(response: Any) -> str:
    for key in _RESULT_KEYS:
        value = _field(response, key)
        if isinstance(value, str):
            return value
    return dumps(response).decode()


def _parts(content: Any) -> list[Any]:
    parts = _field(content, "parts")
    return parts if isinstance(parts, list) else []


def _text(content: Any) -> str:
    return "\n".join(part["text"] for part in _parts(content) if isinstance(_field(part, "text"), str))


def _function_results(content: Any) -> list[str]:
    return [
        _response_text(_field(response, "response"))
        for part in _parts(content)
        if (response := _field(part, "functionResponse")) is not None
    ]


def _chosen_tool(body: JSONObject) -> str | None:
    names = [
        _field(declaration, "name")
        for tool in _field(body, "tools") or []
        for declaration in _field(tool, "functionDeclarations") or []
    ]
    config = _field(_field(body, "toolConfig"), "functionCallingConfig")
    mode = _field(config, "mode") or "AUTO"
    if not names or mode == "NONE":
        return None
    allowed = _field(config, "allowedFunctionNames")
    name = allowed[0] if isinstance(allowed, list) and allowed else names[0]
    if not isinstance(name, str):
        raise MockError(400, "tools[0].function_declarations[0].name is required")
    return name


def read_prompt(body: JSONObject) -> Prompt:
    contents = _field(body, "contents")
    if not isinstance(contents, list) or not contents or not all(isinstance(c, dict) for c in contents):
        raise MockError(400, "* GenerateContentRequest.contents: contents is not specified")
    texts = [_text(_field(body, "systemInstruction"))]
    last_user = ""
    for content in contents:
        text = _text(content)
        texts.append(text)
        texts.extend(_function_results(content))
        if content.get("role", "user") == "user" and text:
            last_user = text
    results = _function_results(contents[-1])
    kind: TurnKind = "tool" if results else "user"
    max_tokens = _field(_field(body, "generationConfig"), "maxOutputTokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise MockError(400, "generation_config.max_output_tokens must be a positive integer")
    return Prompt(
        texts=texts,
        last_kind=kind,
        last_text=results[-1] if results else last_user,
        tool=_chosen_tool(body),
        max_tokens=max_tokens,
    )


def _usage(answer: Answer) -> JSONObject:
    return {
        "promptTokenCount": answer.prompt_tokens,
        "candidatesTokenCount": answer.completion_tokens,
        "totalTokenCount": answer.prompt_tokens + answer.completion_tokens,
    }


def _response(parts: list[JSONObject], *, model: str, ident: str, answer: Answer | None = None) -> JSONObject:
    """A ``GenerateContentResponse``; with ``answer``, the final one (finish reason and usage)."""
    candidate: JSONObject = {"content": {"role": "model", "parts": parts}, "index": 0}
    response: JSONObject = {"candidates": [candidate], "modelVersion": model, "responseId": ident}
    if answer is not None:
        candidate["finishReason"] = _FINISH[answer.stop]
        response["usageMetadata"] = _usage(answer)
    return response


def _call_part(answer: Answer) -> JSONObject:
    assert answer.tool_call is not None
    return {"functionCall": {"name": answer.tool_call.name, "args": answer.tool_call.arguments}}


def _chunks(answer: Answer, *, model: str, ident: str) -> tuple[list[JSONObject], list[JSONObject]]:
    """Content chunks (one per word; none for a tool call) and the final chunk."""
    if answer.tool_call is not None:
        return [], [_response([_call_part(answer)], model=model, ident=ident, answer=answer)]
    content = [_response([{"text": piece}], model=model, ident=ident) for piece in answer.pieces]
    return content, [_response([{"text": ""}], model=model, ident=ident, answer=answer)]


async def generate(ex: Exchange, model: str, *, stream: bool) -> web.StreamResponse:
    prompt = read_prompt(ex.body())
    faults = await ex.apply_faults(model)
    answer = compose(prompt)
    ident = ex.next_id("mock-")
    if not stream:
        parts = [_call_part(answer)] if answer.tool_call is not None else [{"text": answer.text}]
        return await send_json(ex, _response(parts, model=model, ident=ident, answer=answer), faults)
    content, tail = _chunks(answer, model=model, ident=ident)
    if ex.request.query.get("alt") != "sse":
        return await send_json(ex, content + tail, faults)
    return await send_stream(
        ex,
        faults,
        lead=[],
        content=[sse_data(chunk, end=b"\r\n\r\n") for chunk in content],
        tail=[sse_data(chunk, end=b"\r\n\r\n") for chunk in tail],
        content_type="text/event-stream",
    )


def _embedding(request: Any) -> tuple[str, int]:
    content = _field(request, "content")
    if not isinstance(content, dict):
        raise MockError(400, "* EmbedContentRequest.content: contents is not specified")
    dimensions = _field(request, "outputDimensionality") or DEFAULT_DIMENSIONS
    if not isinstance(dimensions, int) or not 1 <= dimensions <= MAX_DIMENSIONS:
        raise MockError(400, f"output_dimensionality must be from 1 to {MAX_DIMENSIONS}")
    return _text(content), dimensions


async def _embed_one(ex: Exchange, model: str) -> web.StreamResponse:
    text, dimensions = _embedding(ex.body())
    faults = await ex.apply_faults(model)
    return await send_json(ex, {"embedding": {"values": embed(text, dimensions)}}, faults)


async def _embed_batch(ex: Exchange, model: str) -> web.StreamResponse:
    requests = _field(ex.body(), "requests")
    if not isinstance(requests, list) or not requests:
        raise MockError(400, "* BatchEmbedContentsRequest.requests: requests is not specified")
    inputs = [_embedding(request) for request in requests]
    faults = await ex.apply_faults(model)
    vectors = [{"values": embed(text, dimensions)} for text, dimensions in inputs]
    return await send_json(ex, {"embeddings": vectors}, faults)


async def _generate_content(ex: Exchange, model: str) -> web.StreamResponse:
    return await generate(ex, model, stream=False)


async def _stream_generate_content(ex: Exchange, model: str) -> web.StreamResponse:
    return await generate(ex, model, stream=True)


_METHODS = {
    "generateContent": _generate_content,
    "streamGenerateContent": _stream_generate_content,
    "embedContent": _embed_one,
    "batchEmbedContents": _embed_batch,
}


async def model_method(ex: Exchange) -> web.StreamResponse:
    """``/v1beta/models/{model}:{method}``: one route, since the model and method share a segment."""
    model, _, method = ex.request.match_info["target"].rpartition(":")
    handler = _METHODS.get(method)
    if not model or handler is None:
        raise MockError(404, f"method {method!r} is not found for models/{model}")
    return await handler(ex, model)
