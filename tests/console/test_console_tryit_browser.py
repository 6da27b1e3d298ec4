"""The policy page's "Try it" panel in a real browser (Debian's chromium, driven by Playwright)
against a real ``trueport serve`` with its own detectors, with the fixtures of ``conftest.py``.

An owner pastes a sample with a GitHub token and an e-mail address: under the draft that blocks
secrets it is blocked (the token marked in the text), and under a draft with secrets off it passes
with the address redacted; an auditor tries the active policy (the API lets them: trying changes
nothing) and is offered no draft. axe-core checks each result, in the light and the dark theme.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.console.browsing import (
    AUDITOR,
    OWNER,
    PASSWORD,
    Installation,
    bearer,
    open_area,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.slow

TOKEN = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
EMAIL = "alice.martin@example-corp.com"
SAMPLE = f"Deploy with {TOKEN} and tell {EMAIL}"


def _policy_page(page: Page, installation: Installation, email: str) -> None:
    sign_in(page, installation.url, email, PASSWORD)
    page.get_by_role("button", name=re.compile("Acme Corp")).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    open_area(page, "Guard")
    page.get_by_role("navigation", name="Guard").get_by_role("link", name="Policy").click()
    expect(page.get_by_role("heading", name="Try it")).to_be_visible()


def _dark(page: Page) -> None:
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))


def test_an_owner_tries_a_sample_under_two_drafts(installation: Installation, page: Page) -> None:
    _policy_page(page, installation, OWNER)
    secrets = page.get_by_role("group", name="secrets", exact=True)
    secrets.get_by_label("Input action").select_option("block")
    page.get_by_label("Sample text").fill(SAMPLE)
    page.get_by_label("Source").select_option(label="User turn")
    page.get_by_role("button", name="Try with the draft").click()
    result = page.get_by_role("region", name="Result under the draft")
    expect(result.get_by_role("status")).to_have_text("Blocked: secrets found github_token.")
    expect(result.locator("mark").filter(has_text=TOKEN)).to_be_visible()
    findings = result.get_by_role("table", name="Findings and what the policy does with each")
    expect(findings.get_by_role("row").filter(has_text="github_token")).to_contain_text("block")
    screenshot(page, "60-policy-try-blocked")

    secrets.get_by_label("Input action").select_option("off")
    page.get_by_role("group", name="pii", exact=True).get_by_label("Input action").select_option("redact")
    page.get_by_role("button", name="Try with the draft").click()
    expect(result.get_by_role("status")).to_have_text(re.compile(r"^Allowed"))
    sent_on = result.locator("pre code")
    expect(sent_on).to_contain_text(TOKEN)
    expect(sent_on).not_to_contain_text(EMAIL)
    expect(sent_on).to_contain_text("\u27e6EMAIL_1\u27e7")
    _dark(page)
    screenshot(page, "61-policy-try-redacted-dark")

    # A draft the server refuses: the problem names its field.
    page.get_by_role("group", name="pii", exact=True).get_by_label("Input threshold").fill("1.5")
    page.get_by_role("button", name="Try with the draft").click()
    expect(page.get_by_role("alert").filter(has_text="detectors.pii.input.threshold")).to_be_visible()


def test_an_auditor_tries_the_active_policy(installation: Installation, page: Page) -> None:
    with httpx.Client(base_url=installation.url) as api:
        auditor = bearer(api, AUDITOR)
        tried = api.post("/api/v1/policies/try", json={"text": SAMPLE}, headers=auditor)
        assert tried.status_code == 200, tried.text
        assert api.put("/api/v1/policies/active", json={"policy": {}}, headers=auditor).status_code == 403
    _policy_page(page, installation, AUDITOR)
    expect(page.get_by_role("button", name="Try with the draft")).to_have_count(0)
    page.get_by_label("Sample text").fill(SAMPLE)
    page.get_by_label("Direction").select_option("output")
    page.get_by_role("button", name="Try with the active policy").click()
    result = page.get_by_role("region", name=re.compile(r"^Result under"))
    expect(result.get_by_role("status")).to_be_visible()
    expect(result.locator("pre code")).to_be_visible()
    screenshot(page, "62-policy-try-auditor")
    _dark(page)
    screenshot(page, "63-policy-try-auditor-dark")
