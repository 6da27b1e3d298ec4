"""How the control plane shows errors: always ``{"error": {"code", "message"[, "details"]}}``.

``code`` is stable and machine-readable (see ``trueport.errors.ApiError``); ``details`` lists the
fields a 422 found wrong. Unexpected exceptions become a logged 500 ``internal_error`` with no detail.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from trueport.errors import ApiError

log = structlog.get_logger(__name__)

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
}


class ErrorDetail(BaseModel):
    field: str = Field(description="Where in the request, e.g. `body.models.0`.")
    message: str


class ErrorInfo(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["no such key"])
    details: list[ErrorDetail] | None = None


class ErrorBody(BaseModel):
    """The one error shape of ``/api/v1``."""

    error: ErrorInfo


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    info = ErrorInfo(code=code, message=message, details=details)
    return JSONResponse({"error": info.model_dump(exclude_none=True)}, status_code=status, headers=headers)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(
            field=".".join(str(part) for part in error.get("loc", ())), message=str(error.get("msg", ""))
        )
        for error in exc.errors()
    ]
    return error_response(422, "validation_failed", "the request is not valid", details=details)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("api_unhandled_error", path=request.url.path, error=type(exc).__name__)
    return error_response(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Invalid request"),
        (401, "Missing, invalid or expired access token"),
        (403, "The role or tenant does not allow it"),
        (404, "Not found in the caller's tenant"),
        (422, "Validation failed"),
    )
}
"""Documented on every route of the API."""
