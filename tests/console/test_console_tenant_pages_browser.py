"""The console's remaining tenant pages in a real browser (Debian's chromium, driven by Playwright)
against a real ``trueport serve``, with the fixtures of ``conftest.py``: provider credentials, routes,
budgets, audit and settings.

An owner adds a provider credential (its key never appears on the page), rotates its key, routes an
alias to it (the server's refusals shown on the field they are about), edits the route, sets a token
budget and sees a call's spend against it, checks an audit event's inclusion proof in the browser,
pins the tenant to a region and sets a feature flag rule. An auditor reads each of these pages and is
offered nothing that changes anything, and the API refuses them anyway. axe-core checks each page
shown, and a screenshot of it goes to ``tests/console/screenshots/``.
"""

from __future__ import annotations

import re

import httpx
import openai
import pytest
from playwright.sync_api import Locator, Page, expect
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

PROVIDER_SECRET = "sk-proj-never-on-the-page-7Q2x"
ROTATED_SECRET = "sk-proj-rotated-also-hidden-9Zk4"
# Whatever changes something, by the names the pages give their controls.
MUTATING = re.compile(
    r"^(Add|Save|Rotate|Delete|Edit|Disable|Enable|Remove|Use the installation|Confirm)", re.IGNORECASE
)


def _enter(page: Page, installation: Installation, email: str) -> None:
    sign_in(page, installation.url, email, PASSWORD)
    page.get_by_role("button", name=re.compile("Acme Corp")).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def _area(page: Page, link: str, heading: str) -> None:
    open_area(page, link)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def _no_secret(page: Page) -> None:
    html = page.content()
    assert PROVIDER_SECRET not in html and ROTATED_SECRET not in html
    for field in page.locator("input").all():
        assert field.input_value() not in (PROVIDER_SECRET, ROTATED_SECRET)


def _dark(page: Page) -> None:
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))


def _until(page: Page, found: Locator, refresh: Locator, tries: int = 40) -> None:
    for _ in range(tries):
        if found.count() > 0:
            return
        refresh.click()
        page.wait_for_timeout(500)
    expect(found.first).to_be_visible()


def test_an_owner_sets_up_credentials_routes_budgets_settings_and_checks_the_audit_trail(
    installation: Installation, page: Page
) -> None:
    _enter(page, installation, OWNER)

    _area(page, "Credentials", "Provider credentials")
    expect(page.get_by_text("This tenant has no provider credentials")).to_be_visible()
    page.get_by_label("Name").fill("openai-eu")
    page.get_by_label("Base URL").fill("https://api.openai.com/v1")
    page.get_by_label("API key").fill(PROVIDER_SECRET)
    page.get_by_label("Region (optional)").fill("eu-west-1")
    page.get_by_role("button", name="Add credential").click()
    table = page.get_by_role("table", name="The tenant's provider credentials")
    row = table.get_by_role("row", name=re.compile("^openai-eu openai "))
    expect(row).to_contain_text("sealed, ends …7Q2x")  # the API's hint of the last 4, never the key
    expect(page.get_by_label("API key")).to_have_value("")
    _no_secret(page)
    page.get_by_label("Name").fill("openai-eu")  # a second one of that name: the server says so there
    page.get_by_label("Base URL").fill("https://api.openai.com/v1")
    page.get_by_label("API key").fill(PROVIDER_SECRET)
    page.get_by_role("button", name="Add credential").click()
    expect(page.get_by_label("Name")).to_have_accessible_description(re.compile("exists"))
    page.get_by_role("button", name="Rotate key of openai-eu").click()
    page.get_by_label("New API key for openai-eu").fill(ROTATED_SECRET)
    page.get_by_role("button", name="Save new key").click()
    expect(page.get_by_role("status").filter(has_text="The key of openai-eu is replaced")).to_be_visible()
    expect(row).to_contain_text("sealed, ends …9Zk4")
    _no_secret(page)
    screenshot(page, "90-credentials")

    _area(page, "Routes", "Routes")
    expect(page.get_by_text("This tenant has no routes of its own")).to_be_visible()
    page.get_by_label("Alias (the model clients send)").fill("chat eu")
    page.get_by_label("Provider of target 1").fill("nowhere")
    page.get_by_label("Model of target 1").fill("gpt-4o")
    page.get_by_role("button", name="Add route").click()
    alias = page.get_by_label("Alias (the model clients send)")
    expect(alias).to_have_attribute("aria-invalid", "true")
    expect(alias).to_have_accessible_description(re.compile("pattern"))
    alias.fill("chat-eu")
    page.get_by_role("button", name="Add route").click()
    targets = page.get_by_role("group", name="Targets, tried in order")
    expect(targets).to_have_accessible_description(re.compile("unknown provider nowhere"))
    screenshot(page, "91-routes-invalid")
    page.get_by_label("Provider of target 1").fill("openai-eu")
    page.get_by_role("button", name="Add route").click()
    routes = page.get_by_role("table", name="The tenant's model routes")
    expect(routes.get_by_role("row").filter(has_text="chat-eu")).to_contain_text("openai-eu/gpt-4o")
    page.get_by_role("button", name="Edit chat-eu").click()
    page.get_by_role("button", name="Add a fallback target").click()
    page.get_by_label("Provider of target 2").fill("openai-eu")
    page.get_by_label("Model of target 2").fill("gpt-4o-mini")
    page.get_by_label("Response cache (seconds, optional)").fill("60")
    page.get_by_role("button", name="Save route").click()
    expect(routes.get_by_role("row").filter(has_text="chat-eu")).to_contain_text(
        "openai-eu/gpt-4o → openai-eu/gpt-4o-mini"
    )
    screenshot(page, "92-routes")

    _area(page, "Budgets", "Budgets")
    expect(page.get_by_text("No budget limits this tenant's spending")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("monthly tokens")
    page.get_by_label("Unit").select_option("tokens")
    page.get_by_label("Amount", exact=True).fill("100000")
    page.get_by_label("Alert at (% of the amount)").fill("50, often")
    page.get_by_role("button", name="Add budget").click()
    expect(page.get_by_label("Alert at (% of the amount)")).to_have_accessible_description(
        re.compile("Whole percentages")
    )
    page.get_by_label("Alert at (% of the amount)").fill("50, 80, 100")
    page.get_by_role("button", name="Add budget").click()
    card = page.get_by_role("listitem").filter(has_text="monthly tokens")
    expect(card).to_contain_text("0 tokens of 100,000 tokens used")
    with httpx.Client(base_url=installation.url) as api:
        key = api.post("/api/v1/keys", json={"name": "budget-bot"}, headers=bearer(api, OWNER)).json()[
            "secret"
        ]
    with openai.OpenAI(base_url=f"{installation.url}/v1", api_key=key, max_retries=0) as sdk:
        sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "count me"}])
    spent = card.filter(has_text=re.compile(r"\b[1-9][0-9,]* tokens of 100,000 tokens used"))
    _until(page, spent, page.get_by_role("button", name="Refresh"))
    expect(card.get_by_role("meter")).to_be_visible()
    card.get_by_role("button", name="Edit monthly tokens").click()
    card.get_by_label("New amount").fill("0")
    card.get_by_role("button", name="Save budget").click()
    expect(card.get_by_label("New amount")).to_have_attribute("aria-invalid", "true")
    card.get_by_label("New amount").fill("200000")
    card.get_by_role("button", name="Save budget").click()
    expect(card).to_contain_text("tokens of 200,000 tokens used")
    screenshot(page, "93-budgets")

    _area(page, "Audit", "Audit")
    events = page.get_by_role("table", name="The tenant's audit events")
    expect(events.get_by_role("cell", name=re.compile(r"create provider_credentials "))).to_have_count(1)
    page.get_by_label("Kind").select_option("control_plane")
    expect(events.get_by_role("cell", name="call", exact=True)).to_have_count(0)
    first = events.get_by_role("button", name=re.compile("^Check inclusion of event")).first
    verdict = page.get_by_role("heading", name=re.compile(r"^Inclusion of event \d+: verified$"))
    for _ in range(40):  # the recorder seals events within seconds
        first.click()
        page.wait_for_timeout(500)
        if verdict.count() > 0:
            break
    expect(verdict).to_be_visible()
    expect(page.get_by_text(re.compile("Ed25519 signature is valid"))).to_be_visible()
    expect(page.get_by_role("heading", name="Latest signed checkpoint")).to_be_visible()
    expect(page.get_by_label("Commands to export and verify")).to_contain_text(
        "trueport audit verify ./audit-acme --public-key audit-public-key.pem"
    )
    screenshot(page, "94-audit")

    _area(page, "Settings", "Settings")
    # The loaded regions are written into the field: type only once they are in (no longer "Loading…").
    expect(page.get_by_text("Not pinned: calls may go to any region.")).to_be_visible()
    regions = page.get_by_label("Allowed regions (comma-separated; blank: not pinned)")
    regions.fill("EU West")
    page.get_by_role("button", name="Save regions").click()
    expect(regions).to_have_attribute("aria-invalid", "true")
    regions.fill("eu-west-1")
    page.get_by_role("button", name="Save regions").click()
    expect(page.get_by_text("Pinned to eu-west-1")).to_be_visible()
    flags = page.get_by_role("table", name="Feature flags")
    flags.get_by_label("Turn response_cache on").check()
    flags.get_by_label("Share of keys for response_cache (%)").fill("25")
    flags.get_by_role("button", name="Save the rule of response_cache").click()
    expect(flags.get_by_role("row").filter(has_text="response_cache")).to_contain_text("on for 25 % of keys")
    page.get_by_label("Setting name").fill("support.contact")
    page.get_by_label("Value (JSON, or plain text)").fill('"ops@acme.test"')
    page.get_by_role("button", name="Save setting").click()
    expect(page.get_by_role("table", name="Tenant settings")).to_contain_text("ops@acme.test")
    _dark(page)
    screenshot(page, "95-settings-dark")
    flags.get_by_role("button", name=re.compile("^Use the installation.s rule for response_cache$")).click()
    expect(flags.get_by_role("row").filter(has_text="response_cache")).to_contain_text(
        "the installation's rule"
    )
    regions.fill("")
    page.get_by_role("button", name="Save regions").click()
    expect(page.get_by_text("Not pinned: calls may go to any region.")).to_be_visible()


def test_an_auditor_reads_these_pages_changes_nothing_and_the_api_refuses(
    installation: Installation, page: Page
) -> None:
    with httpx.Client(base_url=installation.url) as api:
        auditor = bearer(api, AUDITOR)
        for method, path, body in (
            ("POST", "/api/v1/credentials", {"name": "x", "type": "openai", "base_url": "https://a.test/v1",
                                             "api_key": "sk-x"}),
            ("POST", "/api/v1/routes", {"alias": "x", "targets": [{"provider": "oa", "model": "gpt-4o-mini"}]}),
            ("POST", "/api/v1/budgets", {"unit": "usd", "amount": 5, "period": "monthly"}),
            ("PUT", "/api/v1/settings/regions", {"allowed_regions": ["eu-west-1"]}),
            ("PATCH", "/api/v1/settings", {"settings": {"a": 1}}),
            ("PUT", "/api/v1/flags/response_cache", {"enabled": True}),
        ):  # fmt: skip
            refused = api.request(method, path, json=body, headers=auditor)
            assert refused.status_code == 403, (path, refused.text)
            assert refused.json()["error"]["code"] == "permission_denied"
        assert api.get("/api/v1/audit/events", headers=auditor).status_code == 200

    _enter(page, installation, AUDITOR)
    for link, heading, shot in (
        ("Credentials", "Provider credentials", "96-auditor-credentials"),
        ("Routes", "Routes", "97-auditor-routes"),
        ("Budgets", "Budgets", "98-auditor-budgets"),
        ("Audit", "Audit", "99-auditor-audit"),
        ("Settings", "Settings", "99a-auditor-settings"),
    ):
        _area(page, link, heading)
        expect(page.get_by_role("status").filter(has_text=re.compile("^Loading"))).to_have_count(0)
        expect(page.get_by_role("button", name=MUTATING)).to_have_count(0)
        expect(page.locator("form")).to_have_count(0)
        screenshot(page, shot)
    # What an auditor may do: check an event's inclusion (reading, nothing changes).
    _area(page, "Audit", "Audit")
    expect(page.get_by_role("button", name=re.compile("^Check inclusion of event")).first).to_be_enabled()
