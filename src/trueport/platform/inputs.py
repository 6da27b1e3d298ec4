"""Values from outside the control plane, checked where they enter, for every field of every endpoint.

``InputCheck`` (ASGI, in front of the API) refuses a NUL character anywhere in the path, the query
string or a JSON or form body, keys included: PostgreSQL stores no NUL in text, and a value that
went in on SQLite would later poison the data plane's records. ``check_column_values`` (on each
request's session) refuses, at flush, any string longer than its column: one 400 naming the field
for every table, rather than a 500 from PostgreSQL (or a silent success on SQLite, which enforces
no length). Both answer in the control plane's error shape (``api_errors``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from sqlalchemy import JSON, String, event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from trueport.errors import ApiInvalid
from trueport.gateway.asgi import Message, Receive, Scope, Send
from trueport.jsonutil import JSONDecodeError, dumps, loads

_NUL = "\x00"


class InputRejected(ApiInvalid):
    """400 ``invalid_request``, naming the field (``body.description``, ``query.q``, ``path``)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"'{field}' {problem}")
        self.field = field
        self.problem = problem


class InputCheck:
    """Refuses NUL characters in the path, the query string and JSON or form bodies (400)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_text("path", scope.get("path", ""))
            for name, value in parse_qsl(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            ):
                _check_text(f"query.{name}", name + value)
            if _NUL.encode() in unquote_to_bytes(scope.get("query_string", b"")):
                raise InputRejected("query", "contains a NUL character")
        except InputRejected as error:
            await _refuse(send, error)
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        try:
            _check_body(body, dict(scope.get("headers", [])).get(b"content-type", b""))
        except InputRejected as error:
            await _refuse(send, error)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body (``BodyLimit``, outside this, bounds it), and the messages to hand on."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _check_body(body: bytes, content_type: bytes) -> None:
    if not body:
        return
    if b"\x00" in body:
        raise InputRejected("body", "contains a NUL character")
    kind = content_type.split(b";", 1)[0].strip().lower()
    if kind == b"application/x-www-form-urlencoded":
        if b"\x00" in unquote_to_bytes(body.replace(b"+", b" ")):
            raise InputRejected("body", "contains a NUL character")
        return
    if kind.endswith(b"json") and b"\\u0000" in body.lower():  # cheap: parse only when it may be there
        try:
            value = loads(body)
        except JSONDecodeError:
            return  # the API answers its own 422 for a body it cannot parse
        _check_value("body", value)


def _check_value(field: str, value: object) -> None:
    if isinstance(value, str):
        _check_text(field, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(f"{field}.{key}", key)
            _check_value(f"{field}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(f"{field}.{index}", item)


def _check_text(field: str, text: str) -> None:
    if _NUL in text:
        raise InputRejected(field.replace(_NUL, "\\x00")[:200], "contains a NUL character")


async def _refuse(send: Send, error: InputRejected) -> None:
    body = dumps(
        {
            "error": {
                "code": error.code,
                "message": error.message,
                "details": [{"field": error.field, "message": error.problem}],
            }
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def check_column_values(session: AsyncSession) -> None:
    """Refuse, at flush, strings longer than their column or holding a NUL (400 naming the field)."""
    event.listen(session.sync_session, "before_flush", _before_flush)


def _before_flush(session: Session, _context: UOWTransaction, _instances: object) -> None:
    for instance in (*session.new, *session.dirty):
        mapper = inspect(instance).mapper
        for attribute in mapper.column_attrs:
            column = attribute.columns[0]
            value = getattr(instance, attribute.key, None)
            if isinstance(value, str):
                if _NUL in value:
                    raise InputRejected(attribute.key, "contains a NUL character")
                length = column.type.length if isinstance(column.type, String) else None
                if length is not None and len(value) > length:
                    raise InputRejected(attribute.key, f"is too long: at most {length} characters")
            elif isinstance(column.type, JSON) and value is not None:
                _check_value(attribute.key, value)
