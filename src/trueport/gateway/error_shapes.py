"""Rendering ``GatewayError`` in the error shape of the API the client speaks."""

from __future__ import annotations

from enum import Enum

from trueport.errors import GatewayError
from trueport.jsonutil import dumps


class Dialect(Enum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


# Anthropic's error types by HTTP status (its SDK maps statuses to exception classes).
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    502: "api_error",
    503: "overloaded_error",
    504: "api_error",
}


def openai_error(error: GatewayError) -> bytes:
    return dumps(
        {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}}
    )


def anthropic_error(error: GatewayError) -> bytes:
    kind = _ANTHROPIC_TYPES.get(error.status, "api_error")
    return dumps({"type": "error", "error": {"type": kind, "message": error.message}})


def render_error(error: GatewayError, dialect: Dialect) -> bytes:
    return anthropic_error(error) if dialect is Dialect.ANTHROPIC else openai_error(error)
