"""The checks every OpenAI-format request gets before it is routed (clear 400s, naming the field)."""

from __future__ import annotations

from trueport.errors import InvalidRequest
from trueport.jsonutil import JSONObject

MAX_MODEL_CHARS = 200  # request_records.alias, usage_rollups.alias: longer never names a model


def require_model(request: JSONObject) -> str:
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a non-empty string", param="model")
    return check_model_name(model)


def check_model_name(model: str) -> str:
    """A model name from a client, checked before it goes anywhere (records, metrics, logs, routing).

    No model is named with control characters (NUL among them: PostgreSQL refuses it in text) or
    more than ``MAX_MODEL_CHARS`` characters; such a name is a 400, never an unknown model.
    """
    if not model:
        raise InvalidRequest("the model name is empty", param="model")
    if len(model) > MAX_MODEL_CHARS:
        raise InvalidRequest(f"the model name is over {MAX_MODEL_CHARS} characters", param="model")
    if not model.isprintable():
        raise InvalidRequest("the model name contains control characters", param="model")
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
