"""The checks every OpenAI-format request gets before it is routed (clear 400s, naming the field)."""

from __future__ import annotations

from trueport.errors import InvalidRequest
from trueport.jsonutil import JSONObject


def require_model(request: JSONObject) -> str:
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a non-empty string", param="model")
    return model


def require_stream_flag(request: JSONObject) -> bool:
    stream = request.get("stream", False)
    if stream is None:
        return False
    if not isinstance(stream, bool):
        raise InvalidRequest("'stream' must be a boolean", param="stream")
    return stream


def check_chat_request(request: JSONObject) -> None:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' is required and must be a non-empty array", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise InvalidRequest(
                f"messages[{index}] must be an object with a 'role'", param=f"messages[{index}]"
            )
    options = request.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise InvalidRequest("'stream_options' must be an object", param="stream_options")
    tools = request.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise InvalidRequest("'tools' must be an array", param="tools")


def check_embeddings_request(request: JSONObject) -> None:
    value = request.get("input")
    if isinstance(value, str):
        return
    if isinstance(value, list) and value:
        return
    raise InvalidRequest("'input' is required: a string or a non-empty array", param="input")
