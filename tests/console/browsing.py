"""What the console's browser tests share: the people, the waits, signing in, axe-core checks and
screenshots, the mails (the fixtures that start the installation and the browser are in conftest.py)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.gateway.served import Served
from tests.platform.auth.signin import link_token

from support.smtp import SmtpSink, body_text

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parents[2] / "console" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PROVIDER_KEY = "sk-upstream-console"
OWNER = "olivia@acme.test"
FORGETFUL = "frank@acme.test"
AUDITOR = "audrey@acme.test"
PASSWORD = "correct horse battery staple"
LIVE_WITHIN_S = 5.0
# What is not a timing requirement waits longer than Playwright's 5 s: argon2 hashing and the mails
# take seconds on a loaded CI machine.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)


def require(present: bool, message: str) -> None:
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@dataclass
class Installation:
    served: Served
    smtp: SmtpSink

    @property
    def url(self) -> str:
        return self.served.url


def screenshot(page: Page, name: str) -> None:
    """Check the page with axe-core, then keep a screenshot of it."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script>
    # tag with axe's source would rightly be refused).
    found = page.evaluate(
        "async (source) => { (0, eval)(source); return (await window.axe.run(document)).violations; }",
        page.axe_source,  # type: ignore[attr-defined]
    )
    serious = [f"{v['id']} ({v['impact']}): {v['help']}" for v in found if v["impact"] in SERIOUS]
    assert not serious, (name, serious)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/console/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Choose a tenant")).to_be_visible()


def mail_to(smtp: SmtpSink, to: str, timeout_s: float = WAIT_MS / 1000) -> str:
    """The text of the latest mail to ``to``, waiting for one (``SmtpSink.wait_for`` is async, and
    Playwright's sync API runs an event loop in this thread already)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for message, recipients in zip(reversed(smtp.messages), reversed(smtp.recipients), strict=True):
            if to in (recipient.lower() for recipient in recipients):
                return body_text(message)
        assert time.monotonic() < deadline, f"no mail to {to} within {timeout_s} s"
        time.sleep(0.05)


def open_area(page: Page, area: str) -> None:
    page.get_by_role("navigation", name="Tenant").get_by_role("link", name=area).click()


def mailed_link(installation: Installation, to: str, page_name: str) -> str:
    """The path and query of the link in the latest mail to ``to``, on this installation's URL."""
    text = mail_to(installation.smtp, to)
    token = link_token(text, page_name)
    link = next(word for word in text.split() if f"/{page_name}?token={token}" in word)
    parts = urlsplit(link)
    assert parts.path == f"/{page_name}", link
    return f"{installation.url}{parts.path}?{parts.query}"


def bearer(api: httpx.Client, email: str, tenant: str = "acme") -> dict[str, str]:
    """Authorization headers of ``email`` signed in and bound to ``tenant``, through the API."""
    login = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    signed_in = {"Authorization": f"Bearer {login.json()['access_token']}"}
    bound = api.post("/api/v1/auth/select-tenant", json={"tenant": tenant}, headers=signed_in)
    assert bound.status_code == 200, bound.text
    return {"Authorization": f"Bearer {bound.json()['access_token']}"}
