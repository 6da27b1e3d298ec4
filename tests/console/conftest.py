"""Fixtures of the console tests: the provider emulator in this process, for the in-process app; and,
for the browser tests, a real `trueport serve` on SQLite (the provider emulator in a process of its own
upstream, a real SMTP server for the mails), Debian's chromium driven by Playwright, and axe-core."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from tests.console.browsing import (
    AUDITOR,
    AXE,
    CHROMIUM,
    FORGETFUL,
    OWNER,
    PASSWORD,
    PROVIDER_KEY,
    WAIT_MS,
    Installation,
    require,
)
from tests.gateway import harness
from tests.gateway.served import serve
from tests.replicas.harness import trueport
from tests.support import free_port

from support.smtp import SmtpSink
from trueport.console.serving import DIST
from trueport.db.models import Membership, User
from trueport.db.session import database
from trueport.mockprovider import MockProvider
from trueport.platform.auth.passwords import Passwords
from trueport.settings import load_settings
from trueport.tenants.repository import TenantRepository


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=harness.PROVIDER_KEY) as server:
        yield server


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The project's provider emulator, in a process of its own."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "trueport",
        "mock-provider",
        "--port",
        str(port),
        "--api-key",
        PROVIDER_KEY,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/_mock/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the provider emulator did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _config(workdir: Path, provider: str, smtp: SmtpSink) -> Path:
    path = workdir / "trueport.yaml"
    mail = smtp.mail_settings()
    path.write_text(f"""
database: sqlite:///{workdir}/console.db
secret_key: console-browser-test-secret-of-32-bytes-or-more
audit: {{spool_dir: '{workdir / "audit-spool"}'}}
platform:
  jwt_secret: kq3VJ0dT9xw8Lr2pZ7yHc5mB1nF4gE6aUoWsXiRtYvQe
  master_keys: {{k1: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=}}
  active_master_key: k1
mail: {{host: "{mail["host"]}", port: {mail["port"]}, security: none, sender: "TruePort <tp@test>"}}
providers:
  oa: {{type: openai, base_url: "{provider}/v1", api_key: "{PROVIDER_KEY}"}}
models:
  gpt-4o-mini: [{{provider: oa, model: gpt-4o-mini}}]
""")
    return path


async def _seed_people(config: Path) -> None:
    """Three members of acme with a password (accounts are otherwise made by accepting an invitation)."""
    settings = load_settings(config)
    passwords = Passwords(1)
    async with database(settings) as sessions, sessions() as session:
        tenant = await TenantRepository(session).get_by_slug("acme")
        assert tenant is not None
        for email, role in ((OWNER, "owner"), (FORGETFUL, "member"), (AUDITOR, "auditor")):
            user = User(
                email=email, name=email.split("@")[0].title(), password_hash=await passwords.hash(PASSWORD)
            )
            session.add(user)
            await session.flush()
            session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=role))
        await session.commit()


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Iterator[Installation]:
    require((DIST / "index.html").is_file(), f"the console is not built in {DIST}: run `make setup`")
    workdir = tmp_path_factory.mktemp("console")
    smtp = SmtpSink().start()
    try:
        config = _config(workdir, provider, smtp)
        trueport("tenants", "create", "acme", "--name", "Acme Corp", config=config)
        asyncio.run(_seed_people(config))
        served = serve(config, workdir, tenants=())
        try:
            yield Installation(served, smtp)
        finally:
            served.stop()
    finally:
        smtp.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require(
        CHROMIUM.is_file(), f"no {CHROMIUM}: install Debian's chromium package (apt-get install chromium)"
    )
    with sync_playwright() as playwright:
        # /dev/shm is small in containers; chromium then uses /tmp instead of crashing.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--disable-dev-shm-usage"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core's script, from the console's npm dependencies (``make setup`` installs them)."""
    require(AXE.is_file(), f"no {AXE}: run `make setup` (npm ci in console/)")
    return AXE.read_text()


@pytest.fixture
def page(browser: Browser, axe: str) -> Iterator[Page]:
    """A fresh browser context (no cookies), failing the test on a script error or a CSP violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The browser logs each 4xx answer as an error; the app's own errors and CSP refusals count.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    setattr(opened, "axe_source", axe)  # noqa: B010 - read by _screenshot
    try:
        yield opened
    finally:
        context.close()
    assert not problems, problems
