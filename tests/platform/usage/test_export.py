"""``GET /api/v1/usage/export.csv``: RFC 4180 CSV of the records, safe in spreadsheets, one tenant only."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.platform.harness import ControlPlaneHarness
from tests.platform.usage.seed import FORMULA, RANGE, Usage

from trueport.platform.usage.export import cell, csv_text
from trueport.platform.usage.schemas import RECORD_FIELDS


async def export(
    platform: ControlPlaneHarness, headers: dict[str, str], **params: str
) -> tuple[Any, list[list[str]]]:
    response = await platform.client.get(
        "/api/v1/usage/export.csv", params={**RANGE, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response, list(csv.reader(io.StringIO(response.text, newline="")))


async def test_the_export_holds_the_records_in_order(platform: ControlPlaneHarness, usage: Usage) -> None:
    response, table = await export(platform, usage.headers)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="usage-acme-20250310T0000Z-20250313T0000Z.csv"'
    )
    assert (response.headers["x-export-rows"], response.headers["x-export-truncated"]) == ("6", "false")
    assert "\r\n" in response.text  # RFC 4180 line ends
    header, *records = table
    assert header == list(RECORD_FIELDS)
    assert [row[0] for row in records] == usage.ids
    streamed = dict(zip(header, records[4], strict=True))
    assert datetime.fromisoformat(streamed["created_at"]) == datetime(2025, 3, 12, 8, tzinfo=UTC)
    assert {k: streamed[k] for k in ("stream", "ttft_ms", "cost_usd", "prompt_tokens", "fallback")} == {
        "stream": "true",
        "ttft_ms": "20.5",
        "cost_usd": "0.0125",
        "prompt_tokens": "1000",
        "fallback": "false",
    }
    unknown = dict(zip(header, records[5], strict=True))
    assert (unknown["provider"], unknown["ttft_ms"], unknown["error_class"]) == ("", "", "ModelNotFound")


async def test_formula_cells_are_defused(platform: ControlPlaneHarness, usage: Usage) -> None:
    _, table = await export(platform, usage.headers, status="error")
    header, *records = table
    assert [row[0] for row in records] == [usage.ids[i] for i in (2, 3, 5)]
    alias = dict(zip(header, records[1], strict=True))["alias"]
    assert alias == "'" + FORMULA  # quoted by csv (it holds commas and quotes), kept whole, not a formula
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert cell(value) == "'" + value
    assert (cell(-1), cell(Decimal("0.50")), cell(None), cell(False), cell("a=b")) == (
        "-1",
        "0.5",
        "",
        "false",
        "a=b",
    )


async def test_each_tenant_exports_only_its_own(platform: ControlPlaneHarness, usage: Usage) -> None:
    response, table = await export(platform, usage.other_headers)
    assert 'filename="usage-other-' in response.headers["content-disposition"]
    assert len(table) == 4 and not set(usage.ids) & {row[0] for row in table}
    empty, table = await export(platform, usage.headers, alias="nothing")
    assert table == [list(RECORD_FIELDS)] and empty.headers["x-export-rows"] == "0"


async def test_csv_text_writes_one_chunk_per_batch() -> None:
    async def batches() -> AsyncIterator[Sequence[Sequence[Any]]]:
        yield [("a", 'say "hi", then\nleave')]
        yield [("b", None), ("c", 1.5)]

    chunks = [chunk async for chunk in csv_text(batches())]
    assert len(chunks) == 3
    assert chunks[1] == 'a,"say ""hi"", then\nleave"\r\n'
    assert chunks[2] == "b,\r\nc,1.5\r\n"
