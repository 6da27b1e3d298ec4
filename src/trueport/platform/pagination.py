"""Cursor pagination for list endpoints: ``?limit=&cursor=`` in, ``{"data", "next_cursor"}`` out.

A cursor is opaque to clients: the sort key of the last row returned, base64url-encoded. Rows are
ordered by ``(created_at, id)``, so pages stay stable while rows are added.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from trueport.errors import ApiInvalid

MAX_LIMIT = 200

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class PageQuery(BaseModel):
    limit: int
    cursor: tuple[datetime, str] | None


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, row_id = raw.split("|", 1)
        when = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ApiInvalid("invalid cursor", code="invalid_cursor") from exc
    if when.tzinfo is None or not row_id:
        raise ApiInvalid("invalid cursor", code="invalid_cursor")
    return when, row_id


def page_query(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageQuery:
    return PageQuery(limit=limit, cursor=decode_cursor(cursor) if cursor else None)
