"""The console at scale and on smaller screens, in a real browser (Debian's chromium, driven by
Playwright) against a real ``trueport serve`` on SQLite, with the fixtures of ``conftest.py``.

100,000 request records of the tenant are written straight into the installation's database, with
the usage roll-ups the record writer would have kept beside them (summed by ``rollups.summarize``), so
Usage's charts, breakdowns and filter choices agree with its records table. The owner then pages
through the records: the first page holds one page of rows, not 100,000; the next page comes through
the server's cursor; a filter narrows 100,000 records to the few that match; a row's details open.
What is asserted is behaviour, not timings (benchmarks measure speed): each step only has to finish
within the tests' usual wait.

On a tablet (768x1024) and a laptop (1280x800), Overview, Usage, Guard's policy editor and Keys fit the
width of the window (nothing scrolls sideways) and every area of the navigation is in view. axe-core
checks each page shown, and a screenshot of it goes to ``tests/console/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, insert, select
from tests.console.browsing import OWNER, PASSWORD, Installation, open_area, screenshot, sign_in

from trueport.db.models import RequestRecord, Tenant, UsageRollup
from trueport.settings import load_settings
from trueport.usage.rollups import RolledRecord, summarize

pytestmark = pytest.mark.slow

RECORDS = 100_000
PAGE_SIZE = 50  # the Usage page's page of records (``PAGE_SIZE`` in console/src/app/tenant/usage/usage.ts)
RARE_MODEL = "rare-model"
RARE = 7  # records of RARE_MODEL, spread among the others
COMMON_MODEL = "gpt-4o-mini"
SPAN = timedelta(hours=23)  # within the Usage page's default range (the last 24 hours)
VIEWPORTS = {"tablet": (768, 1024), "laptop": (1280, 800)}
AREAS = ("Overview", "Usage", "Guard", "Keys", "Members", "Webhooks", "Settings")


def _record_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def _is_rare(index: int) -> bool:
    return index % (RECORDS // RARE) == RECORDS // RARE // 2 and index // (RECORDS // RARE) < RARE


def _records(tenant_id: str, oldest: datetime) -> list[dict[str, Any]]:
    step = SPAN / RECORDS
    return [
        {
            "id": _record_id(i),
            "tenant_id": tenant_id,
            "key_id": None,
            "created_at": oldest + step * i,
            "endpoint": "/v1/chat/completions",
            "alias": RARE_MODEL if _is_rare(i) else COMMON_MODEL,
            "provider": "oa",
            "upstream_model": RARE_MODEL if _is_rare(i) else COMMON_MODEL,
            "stream": False,
            "status_code": 429 if i % 1000 == 999 else 200,
            "error_class": "RateLimited" if i % 1000 == 999 else None,
            "attempts": 1,
            "fallback": False,
            "served_from": None,
            "latency_ms": 20.0 + i % 400,
            "ttft_ms": None,
            "prompt_tokens": 12,
            "completion_tokens": 8,
            "cached_tokens": 0,
            "cost_usd": Decimal("0.0000150000"),
            "pricing_version": "seeded",
            "upstream_usage_invalid": False,
        }
        for i in range(RECORDS)
    ]


def _rollups(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The roll-up rows the record writer keeps for these records (hour and day), summed its way."""
    rolled = (RolledRecord.of(record, violations=0) for record in records)
    deltas = summarize(record for record in rolled if record is not None)
    keys = ("tenant_id", "granularity", "bucket_start", "key_id", "alias", "provider")
    rows = []
    for key, delta in deltas.items():
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        for name in ("requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens"):
            row[name] = getattr(delta, name)
        row.update(
            cost_usd=delta.cost_usd,
            latency_ms_sum=round(delta.latency_ms_sum, 3),
            latency_buckets=delta.latency_buckets,
            violations=delta.violations,
        )
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def installation(installation: Installation) -> Iterator[Installation]:
    """conftest's installation (this module's own server), with 100,000 records of acme in its database."""
    engine = create_engine(load_settings(installation.served.config).database)
    try:
        with engine.begin() as connection:
            tenant_id = connection.execute(select(Tenant.id).where(Tenant.slug == "acme")).scalar_one()
            oldest = datetime.now(UTC).replace(microsecond=0) - SPAN - timedelta(minutes=5)
            records = _records(tenant_id, oldest)
            connection.execute(insert(RequestRecord), records)
            connection.execute(insert(UsageRollup), _rollups(records))
    finally:
        engine.dispose()
    yield installation


def _enter(page: Page, installation: Installation) -> None:
    sign_in(page, installation.url, OWNER, PASSWORD)
    page.get_by_role("button", name=re.compile("Acme Corp")).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def _details_buttons(page: Page) -> Any:
    records = page.get_by_role("table", name=re.compile("Request records"))
    return records.get_by_role("button", name=re.compile("^Details of request"))


def test_the_records_table_pages_filters_and_opens_one_of_100000(
    installation: Installation, page: Page
) -> None:
    _enter(page, installation)
    open_area(page, "Usage")
    expect(page.get_by_role("heading", name="Usage", exact=True)).to_be_visible()
    # The roll-ups agree with the records: the chart's total is every seeded request.
    expect(page.get_by_label("Requests", exact=True)).to_have_text("100,000")

    details = _details_buttons(page)
    expect(details).to_have_count(PAGE_SIZE)  # one page in the DOM, not 100,000 rows
    expect(details.first).to_have_accessible_name(f"Details of request {_record_id(0)}")  # oldest first
    expect(details.last).to_have_accessible_name(f"Details of request {_record_id(PAGE_SIZE - 1)}")
    expect(page.get_by_text("Page 1", exact=True)).to_be_visible()
    screenshot(page, "30-scale-usage-first-page")

    pages = page.get_by_role("navigation", name="Pages of records")
    pages.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2", exact=True)).to_be_visible()
    expect(details).to_have_count(PAGE_SIZE)
    expect(details.first).to_have_accessible_name(f"Details of request {_record_id(PAGE_SIZE)}")
    expect(details.last).to_have_accessible_name(f"Details of request {_record_id(2 * PAGE_SIZE - 1)}")
    pages.get_by_role("button", name="Previous page").click()
    expect(details.first).to_have_accessible_name(f"Details of request {_record_id(0)}")

    # Interactive with 100,000 records behind it: a row's details open.
    details.nth(3).click()
    expect(page.get_by_role("heading", name=f"Request {_record_id(3)}")).to_be_focused()
    expect(page.get_by_text("The guard found nothing on this request.")).to_be_visible()
    page.get_by_role("button", name="Close details").click()

    page.get_by_label("Model", exact=True).select_option(RARE_MODEL)
    page.get_by_role("button", name="Apply filters").click()
    expect(details).to_have_count(RARE)
    rare = [i for i in range(RECORDS) if _is_rare(i)]
    assert len(rare) == RARE
    for row, index in enumerate(rare):
        expect(details.nth(row)).to_have_accessible_name(f"Details of request {_record_id(index)}")
    expect(pages.get_by_role("button", name="Next page")).to_be_disabled()
    expect(page.get_by_label("Requests", exact=True)).to_have_text(str(RARE))
    screenshot(page, "31-scale-usage-filtered")

    page.get_by_label("Model", exact=True).select_option("")
    page.get_by_label("Status", exact=True).select_option("error")
    page.get_by_role("button", name="Apply filters").click()
    records = page.get_by_role("table", name=re.compile("Request records"))
    expect(records.get_by_role("cell", name="429", exact=True)).to_have_count(PAGE_SIZE)
    expect(records.get_by_role("cell", name="200", exact=True)).to_have_count(0)
    expect(details.first).to_have_accessible_name(f"Details of request {_record_id(999)}")


def _fits_and_navigates(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width[0]} px wide in a {width[1]} px window"
    nav = page.get_by_role("navigation", name="Tenant")
    for area in AREAS:
        expect(nav.get_by_role("link", name=area, exact=True)).to_be_in_viewport()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_pages_fit_a_tablet_and_a_laptop(installation: Installation, page: Page, device: str) -> None:
    width, height = VIEWPORTS[device]
    page.set_viewport_size({"width": width, "height": height})
    _enter(page, installation)
    first = 40 if device == "tablet" else 44

    expect(page.get_by_label("Requests", exact=True)).to_have_text("100,000")
    _fits_and_navigates(page)
    screenshot(page, f"{first}-{device}-overview")

    open_area(page, "Usage")
    expect(_details_buttons(page)).to_have_count(PAGE_SIZE)
    _fits_and_navigates(page)
    # The records table needs no sideways scrolling in its frame either: every column, "Details" too, shows.
    records = page.get_by_role("table", name=re.compile("Request records"))
    table_width, frame_width = records.evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    assert table_width <= frame_width, (
        f"the records table is {table_width} px wide in a {frame_width} px frame"
    )
    screenshot(page, f"{first + 1}-{device}-usage")

    open_area(page, "Guard")
    page.get_by_role("navigation", name="Guard").get_by_role("link", name="Policy").click()
    expect(page.get_by_role("heading", name="Active policy")).to_be_visible()
    _fits_and_navigates(page)
    screenshot(page, f"{first + 2}-{device}-policy")

    open_area(page, "Keys")
    expect(page.get_by_text("This tenant has no keys yet")).to_be_visible()
    _fits_and_navigates(page)
    screenshot(page, f"{first + 3}-{device}-keys")
