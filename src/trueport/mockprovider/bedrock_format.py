"""Amazon Bedrock's wire format: ``POST /model/{modelId}/converse``, ``/converse-stream``, ``/invoke``.

Every request must be signed with SigV4 (``sigv4``: recomputed from the emulator's key, 403 on a
mismatch). ConverseStream answers in AWS event-stream frames (``messageStart``,
``contentBlockStart`` for a tool call, ``contentBlockDelta`` per word or argument piece,
``contentBlockStop``, ``messageStop``, ``metadata``). ``invoke`` embeds with Titan text
(``amazon.titan-embed-text-*``: ``{"inputText"}``) or Cohere (``cohere.embed-*``: ``{"texts",
"input_type"}``) models. Errors carry AWS's type in ``x-amzn-ErrorType`` and ``__type``. The model
id carries the usual fault directives (``amazon.nova-lite-v1:0+status=429``).

Bedrock's own rules that a translation can break are enforced: the conversation starts with a user
turn and alternates, text blocks are not blank, and tool blocks need a ``toolConfig``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web

from trueport.formats.eventstream import encode_message
from trueport.jsonutil import JSONObject, dumps
from trueport.mockprovider import sigv4
from trueport.mockprovider.answers import Answer, Prompt, TurnKind, compose, count_words
from trueport.mockprovider.exchange import Exchange, MockError, json_response, send_json, send_stream
from trueport.mockprovider.vectors import embed

EVENT_STREAM = "application/vnd.amazon.eventstream"
_STOP = {"stop": "end_turn", "length": "max_tokens", "tool": "tool_use"}
_ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_TITAN_DIMENSIONS = (256, 512, 1024)
_COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")


class BedrockDialect:
    name: ClassVar[str] = "bedrock"
    credential_hint: ClassVar[str] = "an AWS SigV4 Authorization header"
    request_id_header: ClassVar[str] = "x-amzn-RequestId"

    def credential(self, request: web.Request) -> str | None:
        """Always something: the signature itself is checked against the body by each endpoint."""
        return request.headers.get("Authorization") or "unsigned"

    def error_body(self, error: MockError) -> JSONObject:
        kind = (
            error.code
            or _ERROR_TYPES.get(error.status)
            or ("InternalServerException" if error.status >= 500 else "ValidationException")
        )
        return {"message": error.message, "__type": kind}


def validation(message: str) -> MockError:
    return sigv4.aws_error(400, "ValidationException", message)


async def _checked_body(ex: Exchange) -> JSONObject:
    secret = ex.state.api_key or sigv4.MOCK_SECRET_ACCESS_KEY
    sigv4.verify(ex.request, await ex.request.read(), secret)
    if not isinstance(ex.parsed, dict):
        raise validation("Malformed input request, please reformat your input and try again.")
    return ex.parsed


def _blocks(message: Any, where: str) -> list[JSONObject]:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list) or not content or not all(isinstance(b, dict) for b in content):
        raise validation(f"{where}.content must be a non-empty list of content blocks")
    for block in content:
        if "text" in block and (not isinstance(block["text"], str) or not block["text"].strip()):
            raise validation(
                "The text field in the ContentBlock object is blank. Add text to the text field, and try again."
            )
    return content


def _result_text(result: JSONObject) -> str:
    parts = []
    for item in result.get("content") or []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            parts.append(item["text"])
        elif isinstance(item, dict) and "json" in item:
            parts.append(dumps(item["json"]).decode())
    return "\n".join(parts)


def _chosen_tool(body: JSONObject) -> str | None:
    config = body.get("toolConfig")
    if config is None:
        return None
    tools = config.get("tools") if isinstance(config, dict) else None
    if not isinstance(tools, list) or not tools:
        raise validation("toolConfig.tools must be a non-empty list")
    names = [tool.get("toolSpec", {}).get("name") for tool in tools if isinstance(tool, dict)]
    if not all(isinstance(name, str) and name for name in names):
        raise validation("every toolSpec needs a name")
    choice = config.get("toolChoice")
    if isinstance(choice, dict) and isinstance(choice.get("tool"), dict):
        name = choice["tool"].get("name")
        if name not in names:
            raise validation(f"toolChoice names {name!r}, which is not among the tools")
        return str(name)
    return str(names[0])


def read_prompt(body: JSONObject) -> Prompt:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise validation("The messages field is required and must not be empty.")
    system = body.get("system") or []
    texts = [
        block["text"] for block in system if isinstance(block, dict) and isinstance(block.get("text"), str)
    ]
    last_user, uses_tools = "", False
    results: list[str] = []
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        expected = "user" if i % 2 == 0 else "assistant"
        if role != expected:
            raise validation(
                "A conversation must start with a user message and alternate user and assistant turns."
            )
        results = []
        for block in _blocks(message, f"messages.{i}"):
            if isinstance(block.get("text"), str):
                texts.append(block["text"])
                if role == "user":
                    last_user = block["text"]
            if "toolUse" in block or "toolResult" in block:
                uses_tools = True
            if isinstance(block.get("toolResult"), dict):
                results.append(_result_text(block["toolResult"]))
        texts.extend(results)
    if uses_tools and body.get("toolConfig") is None:
        raise validation(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        )
    max_tokens = (body.get("inferenceConfig") or {}).get("maxTokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise validation("inferenceConfig.maxTokens must be a positive integer")
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
        "inputTokens": answer.prompt_tokens,
        "outputTokens": answer.completion_tokens,
        "totalTokens": answer.prompt_tokens + answer.completion_tokens,
    }


def _tool_use(ex: Exchange, answer: Answer) -> JSONObject:
    assert answer.tool_call is not None
    return {
        "toolUseId": ex.next_id("tooluse_"),
        "name": answer.tool_call.name,
        "input": answer.tool_call.arguments,
    }


async def converse(ex: Exchange) -> web.StreamResponse:
    prompt = read_prompt(await _checked_body(ex))
    faults = await ex.apply_faults(ex.request.match_info["model"])
    answer = compose(prompt)
    block: JSONObject = {"toolUse": _tool_use(ex, answer)} if answer.tool_call else {"text": answer.text}
    return await send_json(
        ex,
        {
            "output": {"message": {"role": "assistant", "content": [block]}},
            "stopReason": _STOP[answer.stop],
            "usage": _usage(answer),
            "metrics": {"latencyMs": 1},
        },
        faults,
    )


def event(event_type: str, payload: JSONObject) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, dumps(payload))


async def converse_stream(ex: Exchange) -> web.StreamResponse:
    prompt = read_prompt(await _checked_body(ex))
    faults = await ex.apply_faults(ex.request.match_info["model"])
    answer = compose(prompt)
    lead = [event("messageStart", {"role": "assistant"})]
    if answer.tool_call is not None:
        tool_use = _tool_use(ex, answer)
        start = {"toolUse": {"toolUseId": tool_use["toolUseId"], "name": tool_use["name"]}}
        lead.append(event("contentBlockStart", {"contentBlockIndex": 0, "start": start}))
        deltas: list[JSONObject] = [{"toolUse": {"input": piece}} for piece in answer.argument_pieces]
    else:
        deltas = [{"text": piece} for piece in answer.pieces]
    content = [event("contentBlockDelta", {"contentBlockIndex": 0, "delta": delta}) for delta in deltas]
    tail = [
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": _STOP[answer.stop]}),
        event("metadata", {"usage": _usage(answer), "metrics": {"latencyMs": 1}}),
    ]
    return await send_stream(ex, faults, lead=lead, content=content, tail=tail, content_type=EVENT_STREAM)


def _titan(body: JSONObject) -> tuple[JSONObject, int]:
    text = body.get("inputText")
    if not isinstance(text, str) or not text:
        raise validation("inputText is required and must not be empty")
    dimensions = body.get("dimensions", 1024)
    if dimensions not in _TITAN_DIMENSIONS:
        raise validation(f"dimensions must be one of {', '.join(map(str, _TITAN_DIMENSIONS))}")
    tokens = max(1, count_words(text))
    return {"embedding": embed(text, dimensions), "inputTextTokenCount": tokens}, tokens


def _cohere(body: JSONObject) -> tuple[JSONObject, int]:
    texts = body.get("texts")
    if not isinstance(texts, list) or not 1 <= len(texts) <= 96 or not all(isinstance(t, str) for t in texts):
        raise validation("texts must be a list of 1 to 96 strings")
    if body.get("input_type") not in _COHERE_INPUT_TYPES:
        raise validation(f"input_type must be one of {', '.join(_COHERE_INPUT_TYPES)}")
    dimensions = body.get("output_dimension", 1024)
    vectors = [embed(text, dimensions) for text in texts]
    answer: JSONObject = {
        "id": "mock",
        "embeddings": vectors,
        "response_type": "embeddings_floats",
        "texts": texts,
    }
    return answer, sum(max(1, count_words(text)) for text in texts)


async def invoke(ex: Exchange) -> web.StreamResponse:
    body = await _checked_body(ex)
    model = ex.request.match_info["model"]
    if "amazon.titan-embed-text" in model:
        answer, tokens = _titan(body)
    elif "cohere.embed" in model:
        answer, tokens = _cohere(body)
    else:
        raise validation(f"the emulator's InvokeModel embeds only (Titan text, Cohere), not {model!r}")
    faults = await ex.apply_faults(model)
    if faults.cut is not None:
        return await send_json(ex, answer, faults)
    response = json_response(ex, answer)
    response.headers["X-Amzn-Bedrock-Input-Token-Count"] = str(tokens)
    return response
