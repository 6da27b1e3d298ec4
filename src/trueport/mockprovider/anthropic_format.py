"""Anthropic's wire format: ``POST /v1/messages``, JSON and the full SSE event sequence."""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web

from trueport.jsonutil import JSONObject
from trueport.mockprovider.answers import Answer, Prompt, TurnKind, compose
from trueport.mockprovider.exchange import Exchange, MockError, bearer_token, send_json, send_stream, sse_data

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool": "tool_use"}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class AnthropicDialect:
    name: ClassVar[str] = "anthropic"
    credential_hint: ClassVar[str] = "x-api-key: <key> (or Authorization: Bearer <key>)"
    request_id_header: ClassVar[str] = "request-id"

    def credential(self, request: web.Request) -> str | None:
        # anthropic-python 2.x sends the API key as a bearer token; older clients use x-api-key.
        return request.headers.get("x-api-key") or bearer_token(request)

    def error_body(self, error: MockError) -> JSONObject:
        kind = _ERROR_TYPES.get(error.status) or (
            "api_error" if error.status >= 500 else "invalid_request_error"
        )
        return {"type": "error", "error": {"type": kind, "message": error.message}}


def block_text(block: Any) -> str:
    """The text of a content block; a ``tool_result`` gives the text of its own content."""
    if not isinstance(block, dict):
        return ""
    if block.get("type") == "text" and isinstance(block.get("text"), str):
        return str(block["text"])
    if block.get("type") == "tool_result":
        return content_text(block.get("content"))
    return ""


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(text for text in map(block_text, content) if text)
    return ""


def _tool_results(content: Any) -> list[str]:
    if not isinstance(content, list):
        return []
    return [
        block_text(block)
        for block in content
        if isinstance(block, dict) and block.get("type") == "tool_result"
    ]


def _chosen_tool(body: JSONObject) -> str | None:
    tools = body.get("tools")
    choice = body.get("tool_choice") or {"type": "auto"}
    if (
        not isinstance(tools, list)
        or not tools
        or not isinstance(choice, dict)
        or choice.get("type") == "none"
    ):
        return None
    if choice.get("type") == "tool" and isinstance(choice.get("name"), str):
        return str(choice["name"])
    if not isinstance(tools[0], dict) or not isinstance(tools[0].get("name"), str):
        raise MockError(400, "tools.0.name: Field required")
    return str(tools[0]["name"])


def read_prompt(body: JSONObject) -> Prompt:
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        raise MockError(400, "max_tokens: Field required")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise MockError(400, "max_tokens: Input should be a positive integer")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise MockError(400, "messages: at least one message is required")
    texts = [content_text(body.get("system"))]
    last_user = ""
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise MockError(400, "messages: each message needs a role of 'user' or 'assistant'")
        text = content_text(message.get("content"))
        texts.append(text)
        if message["role"] == "user":
            last_user = text
    results = _tool_results(messages[-1].get("content")) if messages[-1]["role"] == "user" else []
    kind: TurnKind = "tool" if results else "user"
    return Prompt(
        texts=texts,
        last_kind=kind,
        last_text=results[-1] if results else last_user,
        tool=_chosen_tool(body),
        max_tokens=max_tokens,
    )


def _usage(answer: Answer) -> JSONObject:
    return {
        "input_tokens": answer.prompt_tokens,
        "output_tokens": answer.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def _message(answer: Answer, *, ident: str, model: str, call_id: str) -> JSONObject:
    call = answer.tool_call
    block: JSONObject = (
        {"type": "text", "text": answer.text}
        if call is None
        else {"type": "tool_use", "id": call_id, "name": call.name, "input": call.arguments}
    )
    return {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [block],
        "stop_reason": _STOP[answer.stop],
        "stop_sequence": None,
        "usage": _usage(answer),
    }


def _events(
    answer: Answer, *, ident: str, model: str, call_id: str
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    start: JSONObject = {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**_usage(answer), "output_tokens": 1},
    }
    call = answer.tool_call
    if call is None:
        block: JSONObject = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in answer.pieces]
    else:
        block = {"type": "tool_use", "id": call_id, "name": call.name, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in answer.argument_pieces]
    lead = [
        sse_data({"type": "message_start", "message": start}, event="message_start"),
        sse_data(
            {"type": "content_block_start", "index": 0, "content_block": block}, event="content_block_start"
        ),
        sse_data({"type": "ping"}, event="ping"),
    ]
    content = [
        sse_data({"type": "content_block_delta", "index": 0, "delta": delta}, event="content_block_delta")
        for delta in deltas
    ]
    tail = [
        sse_data({"type": "content_block_stop", "index": 0}, event="content_block_stop"),
        sse_data(
            {
                "type": "message_delta",
                "delta": {"stop_reason": _STOP[answer.stop], "stop_sequence": None},
                "usage": {"output_tokens": answer.completion_tokens},
            },
            event="message_delta",
        ),
        sse_data({"type": "message_stop"}, event="message_stop"),
    ]
    return lead, content, tail


async def messages(ex: Exchange) -> web.StreamResponse:
    if not ex.request.headers.get("anthropic-version"):
        raise MockError(400, "anthropic-version: header is required")
    body = ex.body()
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise MockError(400, "model: Field required")
    return await answer_messages(ex, body, model, stream=bool(body.get("stream")))


async def answer_messages(ex: Exchange, body: JSONObject, model: str, *, stream: bool) -> web.StreamResponse:
    """The answer to a Messages body for ``model`` (also Claude on Vertex AI's ``rawPredict``)."""
    prompt = read_prompt(body)
    faults = await ex.apply_faults(model)
    answer = compose(prompt)
    ident, call_id = ex.next_id("msg_"), ex.next_id("toolu_")
    if not stream:
        return await send_json(ex, _message(answer, ident=ident, model=model, call_id=call_id), faults)
    lead, content, tail = _events(answer, ident=ident, model=model, call_id=call_id)
    return await send_stream(ex, faults, lead=lead, content=content, tail=tail)
