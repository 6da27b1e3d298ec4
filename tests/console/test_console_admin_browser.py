"""The console's platform admin area in a real browser (Debian's chromium, driven by Playwright) against
a real `trueport serve`, with the fixtures of ``conftest.py`` (the SMTP test server receives the mails).

A platform admin creates a tenant with its owner's e-mail address; the invitation arrives at the SMTP
server; the owner opens the e-mailed link, accepts, signs in and finds the tenant. The admin also
suspends and resumes it, makes a user platform admin and revokes it, watches the provider targets'
breakers, reads usage across tenants (a real call through the gateway), the outbox (mail is sent here:
it says so) and re-wraps the sealed secrets. A tenant owner is kept out of the area (and the API
refuses them anyway). axe-core checks each page shown, in the light and the dark theme, and a screenshot
of it goes to ``tests/console/screenshots/``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import openai
import pytest
from playwright.sync_api import Page, Route, expect
from tests.console.browsing import (
    FORGETFUL,
    OWNER,
    PASSWORD,
    PROVIDER_KEY,
    WAIT_MS,
    Installation,
    bearer,
    mailed_link,
    screenshot,
    sign_in,
)
from tests.gateway.served import Served, serve

pytestmark = pytest.mark.slow

ADMIN = "ada@installation.test"
NEW_OWNER = "gina@globex.test"


def _create_admin(config: Path) -> None:
    """A platform admin, made as an operator does: ``trueport users create-admin``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "trueport",
            "users",
            "create-admin",
            ADMIN,
            "--name",
            "Ada",
            "--password-stdin",
            "--config",
            str(config),
        ],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def admin(installation: Installation) -> str:
    _create_admin(installation.served.config)
    return ADMIN


@pytest.fixture(scope="module")
def without_smtp(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Iterator[Served]:
    """A second installation, in development with no SMTP server (its mail goes to the outbox), with a
    model whose only target always fails and a breaker that opens after two failures in a row."""
    workdir = tmp_path_factory.mktemp("outbox")
    config = workdir / "trueport.yaml"
    config.write_text(f"""
database: sqlite:///{workdir}/outbox.db
secret_key: console-outbox-test-secret-of-32-bytes-or-more
audit: {{spool_dir: '{workdir / "audit-spool"}'}}
platform:
  jwt_secret: kq3VJ0dT9xw8Lr2pZ7yHc5mB1nF4gE6aUoWsXiRtYvQe
  master_keys: {{k1: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=}}
  active_master_key: k1
providers:
  oa: {{type: openai, base_url: "{provider}/v1", api_key: "{PROVIDER_KEY}"}}
models:
  gpt-4o-mini: [{{provider: oa, model: gpt-4o-mini}}]
  flaky: [{{provider: oa, model: "gpt-4o-mini+status=503"}}]
resilience: {{retry_max_attempts: 1, breaker_consecutive_failures: 2, breaker_open_s: 120, breaker_open_max_s: 120}}
""")
    _create_admin(config)  # migrates the new database too
    served = serve(config, workdir, tenants=("acme",))
    try:
        yield served
    finally:
        served.stop()


def _admin_area(page: Page, installation: Installation) -> None:
    sign_in(page, installation.url, ADMIN, PASSWORD)
    expect(page.get_by_text("You are not a member of any tenant yet.")).to_be_visible()
    page.get_by_role("link", name=re.compile("Platform admin")).click()
    expect(page.get_by_role("heading", name="Tenants", exact=True)).to_be_visible()


def _open(page: Page, name: str, heading: str) -> None:
    page.get_by_role("navigation", name="Platform admin").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def _status(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def _plan(installation: Installation, name: str) -> str:
    """A billing plan, made through the API by the platform admin; its id."""
    with httpx.Client(base_url=installation.url, timeout=10) as api:
        login = api.post("/api/v1/auth/login", json={"email": ADMIN, "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = api.post("/api/v1/billing/admin/plans", json={"name": name}, headers=headers)
        assert created.status_code == 201, created.text
        plan_id: str = created.json()["id"]
        return plan_id


def test_a_platform_admin_creates_a_tenant_and_its_owner_accepts_the_mailed_invitation(
    installation: Installation, page: Page, admin: str
) -> None:
    team = _plan(installation, "team")
    _admin_area(page, installation)
    tenants = page.get_by_role("table", name="The installation's tenants, oldest first")
    expect(tenants.get_by_role("rowheader", name="acme", exact=True)).to_be_visible()

    page.get_by_label("Slug").fill("globex")
    page.get_by_label("Name", exact=True).fill("Globex Inc")
    page.get_by_label("Owner's e-mail address").fill(NEW_OWNER)
    page.get_by_role("button", name="Create tenant").click()
    _status(page, f"Tenant globex created; the invitation of its owner {NEW_OWNER} was e-mailed")
    globex = tenants.get_by_role("row").filter(has=page.get_by_role("rowheader", name="globex", exact=True))
    expect(globex).to_contain_text("Globex Inc")
    expect(globex).to_contain_text("active")
    page.get_by_label("Plan of globex").select_option(label="team")
    _status(page, "globex is on the plan team since")
    page.reload()
    expect(page.get_by_label("Plan of globex")).to_have_value(team)  # read back from the server
    expect(page.get_by_label("Plan of acme")).to_have_value("")
    screenshot(page, "80-admin-tenants")

    page.get_by_role("button", name="Suspend globex").click()
    page.get_by_role("button", name="Confirm suspending globex").click()
    _status(page, "globex is suspended")
    expect(globex).to_contain_text("suspended")
    screenshot(page, "81-admin-tenant-suspended")
    page.get_by_role("button", name="Resume globex").click()
    _status(page, "globex is active again")
    expect(globex).to_contain_text("active")

    with httpx.Client(base_url=installation.url, timeout=10) as api:
        # A tenant's own owner is no platform admin: the API refuses them the admin routes.
        owner = bearer(api, OWNER)
        for path in ("/api/v1/admin/users", "/api/v1/admin/outbox", "/api/v1/tenants"):
            refused = api.get(path, headers=owner)
            assert refused.status_code == 403, (path, refused.text)
            assert refused.json()["error"]["code"] == "platform_admin_required"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    # The owner's invitation arrived at the SMTP server; its link works end to end.
    page.goto(mailed_link(installation, NEW_OWNER, "accept-invitation"))
    expect(page.get_by_role("heading", name="Accept your invitation")).to_be_visible()
    page.get_by_label("Your name").fill("Gina")
    page.get_by_label("Password").fill("gina's own passphrase 2026")
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_role("status")).to_contain_text("You are now a member of globex")
    sign_in(page, installation.url, NEW_OWNER, "gina's own passphrase 2026")
    page.get_by_role("button", name=re.compile("Globex Inc")).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_text("Role: owner")).to_be_visible()
    expect(page.get_by_text("Globex Inc", exact=True)).to_be_visible()

    # An owner who is no platform admin is not offered the admin area, and its address sends them away.
    page.goto(f"{installation.url}/console/admin/users")
    expect(page.get_by_role("heading", name="Choose a tenant")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Platform admin"))).to_have_count(0)


def test_a_platform_admin_manages_users_and_watches_the_installation(
    installation: Installation, page: Page, admin: str
) -> None:
    secret = installation.served.new_key("acme")
    with openai.OpenAI(base_url=f"{installation.url}/v1", api_key=secret, max_retries=0) as sdk:
        sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])

    _admin_area(page, installation)
    _open(page, "Users", "Users")
    users = page.get_by_role("table", name="The installation's users, oldest first")
    expect(users.get_by_role("rowheader", name=re.compile(re.escape(ADMIN)))).to_contain_text("(you)")
    page.get_by_label("Search by e-mail address or name").fill("frank")
    page.get_by_role("button", name="Search").click()
    expect(users.get_by_role("row")).to_have_count(2)  # the header and Frank
    page.get_by_role("button", name=f"Grant platform admin to {FORGETFUL}").click()
    _status(page, f"{FORGETFUL} is a platform admin.")
    expect(users.get_by_role("row").nth(1)).to_contain_text("yes")
    screenshot(page, "82-admin-users")
    page.get_by_role("button", name=f"Revoke platform admin of {FORGETFUL}").click()
    page.get_by_role("button", name=f"Confirm revoking platform admin of {FORGETFUL}").click()
    _status(page, f"{FORGETFUL} is no longer a platform admin.")
    page.get_by_role("button", name=f"Disable {FORGETFUL}").click()
    page.get_by_role("button", name=f"Confirm disabling {FORGETFUL}").click()
    _status(page, f"{FORGETFUL} is disabled")
    with httpx.Client(base_url=installation.url, timeout=10) as api:
        login = api.post("/api/v1/auth/login", json={"email": FORGETFUL, "password": PASSWORD})
        assert login.status_code in (400, 401, 403), login.text
    page.get_by_role("button", name=f"Enable {FORGETFUL}").click()
    _status(page, f"{FORGETFUL} is enabled")

    _open(page, "Provider health", "Provider health")
    breakers = page.get_by_role("table", name="Circuit breakers, open ones first")
    target = breakers.get_by_role("row").filter(has_text="oa/gpt-4o-mini")
    expect(target).to_contain_text("closed")
    expect(page.get_by_text(re.compile("Kept in the serving process"))).to_be_visible()
    # Live: the page asks again by itself (the time of the last check moves on).
    checked = page.get_by_text(re.compile(r"Last checked .* UTC\.")).inner_text()
    expect(page.get_by_text(re.compile(r"Last checked .* UTC\."))).not_to_have_text(checked, timeout=15_000)
    screenshot(page, "83-admin-providers")

    _open(page, "Usage", "Usage across tenants")
    per_tenant = page.get_by_role("table", name="Usage per tenant, costliest first")
    deadline = time.monotonic() + WAIT_MS / 1000
    while not per_tenant.get_by_role("rowheader", name=re.compile("Acme Corp")).is_visible():
        assert time.monotonic() < deadline, "the call did not reach usage across tenants"
        page.get_by_label("Time range").select_option(label="Last 7 days")
        page.get_by_label("Time range").select_option(label="Last 24 hours")
    acme = per_tenant.get_by_role("row").filter(has_text="Acme Corp")
    expect(acme).to_contain_text("100.0 %")
    screenshot(page, "84-admin-usage")

    _open(page, "Plans and pricing", "Plans and pricing")
    new_plan = page.get_by_role("form", name="New plan")
    new_plan.get_by_label("Plan name").fill("scale")
    new_plan.get_by_label("Monthly fee (USD)").fill("99.50")
    new_plan.get_by_label("Included tokens per month").fill("10,000,000")
    page.get_by_role("button", name="Create plan").click()
    _status(page, "The plan scale exists")
    plans = page.get_by_role("table", name="Billing plans")
    expect(plans.get_by_role("row").filter(has_text="scale")).to_contain_text("$99.5")
    expect(plans.get_by_role("row").filter(has_text="scale")).to_contain_text("10,000,000")
    page.get_by_label("Tenant", exact=True).select_option(label="Acme Corp (acme)")
    expect(page.get_by_text("This tenant pays the catalog's prices.")).to_be_visible()
    price = page.get_by_role("form", name="Negotiated price")
    price.get_by_label("Upstream model").fill("gpt-4o-mini")
    price.get_by_label("Input per 1M tokens (USD)").fill("0.1")
    price.get_by_label("Output per 1M tokens (USD)").fill("0.4")
    page.get_by_role("button", name="Set price").click()
    _status(page, "per million tokens of gpt-4o-mini")
    prices = page.get_by_role("table", name="The tenant's negotiated prices, per million tokens")
    expect(prices.get_by_role("row").filter(has_text="gpt-4o-mini")).to_contain_text("as input")
    screenshot(page, "89-admin-plans-and-pricing")
    page.get_by_role("button", name="Remove the price of gpt-4o-mini").click()
    page.get_by_role("button", name="Confirm removing the price of gpt-4o-mini").click()
    expect(page.get_by_text("This tenant pays the catalog's prices.")).to_be_visible()

    _open(page, "Outbox", "Outbox")
    expect(page.get_by_text("Mail is sent, not kept")).to_be_visible()  # this installation has SMTP
    screenshot(page, "85-admin-outbox")

    _open(page, "Master key", "Master key")
    page.get_by_role("button", name="Re-wrap every sealed secret").click()
    page.get_by_role("button", name="Confirm re-wrapping under the active master key").click()
    _status(page, "now wrapped under the master key k1")
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    screenshot(page, "86-admin-master-key-dark")
    _open(page, "Tenants", "Tenants")
    expect(page.get_by_label("Plan of acme")).to_be_visible()  # loaded
    screenshot(page, "87-admin-tenants-dark")


def test_without_smtp_the_invitation_waits_in_the_outbox_with_a_working_link(
    without_smtp: Served, page: Page
) -> None:
    sign_in(page, without_smtp.url, ADMIN, PASSWORD)
    page.get_by_role("link", name=re.compile("Platform admin")).click()
    _open(page, "Outbox", "Outbox")
    expect(page.get_by_text("No mail yet.")).to_be_visible()
    _open(page, "Tenants", "Tenants")
    page.get_by_label("Slug").fill("initech")
    page.get_by_label("Name", exact=True).fill("Initech")
    page.get_by_label("Owner's e-mail address").fill("ivan@initech.test")
    page.get_by_role("button", name="Create tenant").click()
    _status(page, "Tenant initech created; the invitation of its owner ivan@initech.test was e-mailed")

    _open(page, "Outbox", "Outbox")
    mails = page.get_by_role("list", name="Mails, newest first")
    expect(mails.get_by_role("listitem")).to_have_count(1)
    expect(mails).to_contain_text("You are invited to join Initech on TruePort")
    expect(mails).to_contain_text("To ivan@initech.test")
    link = mails.get_by_role("link", name=re.compile(r"accept-invitation\?token="))
    href = link.get_attribute("href")
    assert href is not None
    screenshot(page, "88-admin-outbox-mail")

    # The link names the installation's public URL (platform.public_url, here the default
    # http://localhost:8080): a proxy there would hand it to this server, as the route below does.
    public = urlsplit(href)

    def forward(route: Route) -> None:
        target = urlsplit(route.request.url)
        route.fulfill(status=302, headers={"location": f"{without_smtp.url}{target.path}?{target.query}"})

    page.route(f"{public.scheme}://{public.netloc}/**", forward)
    link.click()
    expect(page.get_by_role("heading", name="Accept your invitation")).to_be_visible()
    page.get_by_label("Your name").fill("Ivan")
    page.get_by_label("Password").fill("ivan's own passphrase 2026")
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_role("status")).to_contain_text("You are now a member of initech")


def test_provider_health_shows_a_breaker_opening_without_a_reload(without_smtp: Served, page: Page) -> None:
    sign_in(page, without_smtp.url, ADMIN, PASSWORD)
    page.get_by_role("link", name=re.compile("Platform admin")).click()
    _open(page, "Provider health", "Provider health")
    breakers = page.get_by_role("table", name="Circuit breakers, open ones first")
    flaky = breakers.get_by_role("row").filter(has_text="oa/gpt-4o-mini+status=503")
    expect(flaky).to_contain_text("Closed: calls go through")

    secret = without_smtp.new_key("acme")
    with openai.OpenAI(base_url=f"{without_smtp.url}/v1", api_key=secret, max_retries=0) as sdk:
        for _ in range(3):
            with pytest.raises(openai.APIStatusError):
                sdk.chat.completions.create(model="flaky", messages=[{"role": "user", "content": "hi"}])

    # The page asks again by itself: the breaker shows open, first in the table, with no reload.
    expect(flaky).to_contain_text(re.compile(r"Open: calls skip this target for \d+ s more"), timeout=15_000)
    expect(breakers.get_by_role("row").nth(1)).to_contain_text("oa/gpt-4o-mini+status=503")
    expect(breakers.get_by_role("row").nth(2)).to_contain_text(re.compile(r"oa/gpt-4o-mini\s*closed"))
    screenshot(page, "90-admin-providers-open")
