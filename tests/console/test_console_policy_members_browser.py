"""The console's policy editor and members pages in a real browser (Debian's chromium, driven by
Playwright) against a real `trueport serve`, with the fixtures of ``conftest.py``.

An owner edits the guard policy, sees the server's validation error next to the field, saves, finds
the new version among the versions with its diff, and rolls back; an auditor reads the policy and is
offered nothing that changes it (and the API refuses them anyway). An owner invites someone (the
invitation is listed and its mail arrives) and changes a member's role. axe-core checks each page
shown, in the light and the dark theme, and a screenshot of it goes to ``tests/console/screenshots/``.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.console.browsing import (
    AUDITOR,
    FORGETFUL,
    OWNER,
    PASSWORD,
    Installation,
    bearer,
    mail_to,
    open_area,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.slow


def _enter(page: Page, installation: Installation, email: str) -> None:
    sign_in(page, installation.url, email, PASSWORD)
    page.get_by_role("button", name=re.compile("Acme Corp")).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def _open_policy(page: Page) -> None:
    open_area(page, "Guard")
    page.get_by_role("navigation", name="Guard").get_by_role("link", name="Policy").click()
    expect(page.get_by_role("heading", name="Active policy")).to_be_visible()


def _dark(page: Page) -> None:
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))


def test_an_owner_edits_saves_compares_and_rolls_back_the_policy(
    installation: Installation, page: Page
) -> None:
    _enter(page, installation, OWNER)
    _open_policy(page)
    expect(page.get_by_text("this tenant has not saved one of its own yet")).to_be_visible()
    active = page.get_by_role("table", name="The active policy, per detector")
    expect(active.get_by_role("rowheader", name="pii", exact=True)).to_be_visible()
    screenshot(page, "20-policy")

    pii = page.get_by_role("group", name="pii", exact=True)
    threshold = pii.get_by_label("Input threshold")
    threshold.fill("1.5")
    page.get_by_role("button", name="Save as a new version").click()
    expect(threshold).to_have_accessible_description("Input should be less than or equal to 1")
    expect(threshold).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="The policy was not saved")).to_be_visible()
    screenshot(page, "21-policy-invalid")

    threshold.fill("0.8")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("status").filter(has_text="Saved as version 1")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\s*Version 1, saved .* by olivia@acme\.test"))).to_be_visible()
    expect(active.get_by_role("cell", name=re.compile(r"threshold 0\.8"))).to_be_visible()

    pii.get_by_label("Input action").select_option("block")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("status").filter(has_text="Saved as version 2")).to_be_visible()
    versions = page.get_by_role("table", name="Policy versions, newest first")
    expect(versions.get_by_role("row")).to_have_count(3)  # the header and two versions
    expect(versions.get_by_role("row").nth(1)).to_contain_text("olivia@acme.test")
    diff = page.get_by_label("Differences")
    expect(diff).to_contain_text('-         "action": "redact"')
    expect(diff).to_contain_text('+         "action": "block"')
    screenshot(page, "22-policy-versions-diff")

    # The JSON document is the same draft: what the form set is there.
    page.get_by_role("button", name="JSON document").click()
    expect(page.get_by_label("Policy document (JSON)")).to_have_value(re.compile(r'"threshold": 0\.8'))
    page.get_by_role("button", name="Form").click()

    page.get_by_role("button", name="Roll back to version 1").click()
    page.get_by_role("button", name="Confirm rolling back to version 1").click()
    expect(
        page.get_by_role("status").filter(has_text="Version 1 is active again, as version 3")
    ).to_be_visible()
    expect(versions.get_by_role("row")).to_have_count(4)
    expect(pii.get_by_label("Input action")).to_have_value("redact")
    _dark(page)
    screenshot(page, "23-policy-rolled-back-dark")

    with httpx.Client(base_url=installation.url, timeout=10) as api:
        active_policy = api.get("/api/v1/policies/active", headers=bearer(api, OWNER)).json()
    assert active_policy["version"] == 3
    assert active_policy["policy"]["detectors"]["pii"]["input"]["action"] == "redact"
    assert active_policy["policy"]["detectors"]["pii"]["input"]["threshold"] == 0.8


def test_an_auditor_reads_the_policy_and_changes_nothing(installation: Installation, page: Page) -> None:
    with httpx.Client(base_url=installation.url, timeout=10) as api:
        auditor = bearer(api, AUDITOR)
        document = api.get("/api/v1/policies/active", headers=auditor).json()["policy"]
        refused = api.put("/api/v1/policies/active", json={"policy": document}, headers=auditor)
        assert refused.status_code == 403, refused.text
        assert api.post("/api/v1/policies/rollback", json={"version": 1}, headers=auditor).status_code == 403

    _enter(page, installation, AUDITOR)
    _open_policy(page)
    expect(page.get_by_text("reads the policy; an owner or admin changes it")).to_be_visible()
    expect(page.get_by_role("table", name="The active policy, per detector")).to_be_visible()
    expect(page.get_by_role("button", name="Save as a new version")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Roll back"))).to_have_count(0)
    # The one text field is "Try it"'s sample: trying the active policy changes nothing.
    expect(page.get_by_role("textbox")).to_have_count(1)
    expect(page.get_by_role("textbox", name="Sample text")).to_be_visible()
    expect(page.get_by_role("spinbutton")).to_have_count(0)
    screenshot(page, "24-auditor-policy")
    _dark(page)
    screenshot(page, "25-auditor-policy-dark")

    open_area(page, "Members")
    # In the members' table: other tests' invitations (the installation is shared) name the owner too.
    members = page.get_by_role("table", name="The tenant's members")
    expect(members.get_by_role("cell", name=OWNER, exact=True)).to_be_visible()
    expect(page.get_by_text("reads the members; an owner or admin changes them")).to_be_visible()
    expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Remove|Revoke)"))).to_have_count(0)
    expect(page.get_by_role("combobox")).to_have_count(0)
    screenshot(page, "26-auditor-members-dark")


def test_an_owner_invites_someone_and_changes_a_role(installation: Installation, page: Page) -> None:
    _enter(page, installation, OWNER)
    open_area(page, "Members")
    expect(page.get_by_role("heading", name="Members", exact=True)).to_be_visible()
    people = page.get_by_role("table", name="The tenant's members")
    expect(people.get_by_role("cell", name=FORGETFUL, exact=True)).to_be_visible()
    expect(page.get_by_text("No invitations yet")).to_be_visible()
    screenshot(page, "27-members")

    page.get_by_label("E-mail address").fill("ivan@acme.test")
    page.get_by_label("Role", exact=True).select_option("admin")
    page.get_by_role("button", name="Send invitation").click()
    expect(
        page.get_by_role("status").filter(has_text="Invitation sent to ivan@acme.test as admin")
    ).to_be_visible()
    invitations = page.get_by_role("table", name="Invitations, pending first")
    row = invitations.get_by_role("row").filter(has_text="ivan@acme.test")
    expect(row).to_contain_text("pending")
    expect(row).to_contain_text("admin")
    assert "/accept-invitation?token=" in mail_to(installation.smtp, "ivan@acme.test")

    page.get_by_label(f"Role of {FORGETFUL}").select_option("auditor")
    expect(page.get_by_role("status").filter(has_text=f"{FORGETFUL} is now auditor")).to_be_visible()
    expect(page.get_by_label(f"Role of {FORGETFUL}")).to_have_value("auditor")
    screenshot(page, "28-members-invited")

    # The last owner cannot be demoted, and the page says why (the API's words).
    expect(page.get_by_label(f"Role of {OWNER}")).to_have_value("owner")
    page.get_by_label(f"Role of {OWNER}").select_option("admin")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label(f"Role of {OWNER}")).to_have_value("owner")

    page.get_by_role("button", name="Revoke the invitation of ivan@acme.test").click()
    page.get_by_role("button", name="Confirm revoking the invitation of ivan@acme.test").click()
    expect(row).to_contain_text("revoked")
    _dark(page)
    screenshot(page, "29-members-dark")

    with httpx.Client(base_url=installation.url, timeout=10) as api:
        members = api.get("/api/v1/members", headers=bearer(api, OWNER)).json()["data"]
    assert {m["email"]: m["role"] for m in members}[FORGETFUL] == "auditor"
