"""The README's screenshots of the console, taken from a real ``trueport serve`` with live traffic (the
fixtures of ``conftest.py``), never by hand: the overview while two keys send calls through the
gateway with the ``openai`` SDK, and the policy editor with a saved version and "Try it".

Each page is checked with axe-core and kept under ``tests/console/screenshots/`` like the other
browser tests. With ``TRUEPORT_README_SCREENSHOTS=1`` (``scripts/readme_screenshots.sh``) the pictures
are also written to ``docs/images/`` (otherwise a test run leaves the tracked files alone).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import openai
import pytest
from playwright.sync_api import Page, expect
from tests.console.browsing import OWNER, PASSWORD, Installation, bearer, open_area, screenshot, sign_in

pytestmark = pytest.mark.slow

IMAGES = Path(__file__).parents[2] / "docs" / "images"
PROMPTS = [
    "Summarise this ticket for the support team",
    "Draft a polite reply to the customer",
    "Classify the sentiment of this review",
    "Translate the release notes into French",
]


def _keep(page: Page, name: str, artefact: str) -> None:
    screenshot(page, artefact)
    if os.environ.get("TRUEPORT_README_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=IMAGES / name, full_page=True)


def test_readme_screenshots_of_the_overview_and_the_policy_editor(
    installation: Installation, page: Page
) -> None:
    url = installation.url
    sign_in(page, url, OWNER, PASSWORD)
    page.get_by_role("button", name=re.compile("Acme Corp")).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    with httpx.Client(base_url=url) as api:
        owner = bearer(api, OWNER)
        secrets = [
            api.post("/api/v1/keys", json={"name": name}, headers=owner).json()["secret"]
            for name in ("support-bot", "docs-assistant")
        ]
    sent = 0
    for n, secret in enumerate(secrets):
        with openai.OpenAI(base_url=f"{url}/v1", api_key=secret, max_retries=0) as sdk:
            for prompt in PROMPTS[: 4 - n * 2] * 2:
                sdk.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
                )
                sent += 1
            with pytest.raises(openai.NotFoundError):  # an alias nobody configured: an error on the chart
                sdk.chat.completions.create(
                    model="gpt-5-unknown", messages=[{"role": "user", "content": "hi"}]
                )
            sent += 1
    expect(page.get_by_label("Requests", exact=True)).to_have_text(str(sent))
    expect(page.get_by_label("Latency p95")).to_have_text(re.compile(r"^≤ "))
    top = page.get_by_role("table", name="The keys with the most requests in the range")
    expect(top.get_by_role("row").nth(1)).to_contain_text("support-bot")
    _keep(page, "console-overview.png", "98r-readme-overview")

    open_area(page, "Guard")
    page.get_by_role("navigation", name="Guard").get_by_role("link", name="Policy").click()
    expect(page.get_by_role("heading", name="Active policy")).to_be_visible()
    page.get_by_role("group", name="pii", exact=True).get_by_label("Input action").select_option("block")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("status").filter(has_text="Saved as version 1")).to_be_visible()
    page.get_by_label("Sample text").fill("Please e-mail the invoice to jane.doe@example.com today.")
    page.get_by_label("Source").select_option(label="User turn")
    page.get_by_role("button", name="Try with the draft").click()
    result = page.get_by_role("region", name="Result under the draft")
    expect(result.get_by_role("status")).to_contain_text("Blocked")
    _keep(page, "console-policy-editor.png", "98s-readme-policy-editor")
