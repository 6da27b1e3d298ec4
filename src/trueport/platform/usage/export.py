"""The CSV form of request records: RFC 4180 (the ``csv`` module), safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return)
as a formula, and aliases, models and error names come from clients and providers. Such a text cell
gets a leading ``'`` (OWASP's advice), which spreadsheets show as text and do not evaluate. Numbers,
times and booleans are written by us and left as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from trueport.platform.usage.schemas import RECORD_FIELDS, format_usd

MAX_ROWS = 100_000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format_usd(value)
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def filename(slug: str, since: datetime, until: datetime) -> str:
    """``usage-acme-20250401T0000Z-20250501T0000Z.csv``: the tenant and the range, nothing to escape."""
    return f"usage-{slug}-{since:%Y%m%dT%H%MZ}-{until:%Y%m%dT%H%MZ}.csv"


async def csv_text(batches: AsyncIterator[Sequence[Sequence[Any]]]) -> AsyncIterator[str]:
    """A header line, then one chunk of lines per batch of rows (in ``RECORD_FIELDS`` order)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RECORD_FIELDS)
    yield buffer.getvalue()
    async for rows in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([cell(value) for value in row] for row in rows)
        yield buffer.getvalue()
