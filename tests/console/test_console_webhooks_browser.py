"""The console's Webhooks area in a real browser (Debian's chromium, driven by Playwright) against a
real ``trueport serve``, with the fixtures of ``conftest.py``, and a receiver this test runs.

An owner subscribes the receiver (the signing secret shown once), calls the gateway with the
``openai`` SDK and sees the call's event delivered among the subscription's deliveries; a delivery
parked as a dead letter (stored as the worker leaves one after its fifth failure: the worker's real
backoff would take minutes) is replayed after a confirmation and reaches the receiver. An auditor
reads the subscriptions, deliveries and dead letters and is offered nothing that changes them (the
API refuses them anyway). axe-core checks each page shown, in the light and the dark theme.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import openai
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

from trueport.db.models import WebhookDelivery
from trueport.db.session import database
from trueport.settings import load_settings

pytestmark = pytest.mark.slow


class Receiver:
    """A webhook receiver on a local port: records each request's path and signature header."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str | None]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                received.append((self.path, self.headers.get("webhook-signature")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    try:
        yield running
    finally:
        running.close()


def _enter(page: Page, installation: Installation, email: str) -> None:
    sign_in(page, installation.url, email, PASSWORD)
    page.get_by_role("button", name=re.compile("Acme Corp")).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    open_area(page, "Webhooks")
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()


def _dark(page: Page) -> None:
    page.get_by_role("button", name="Dark theme").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))


def _park_dead_letter(installation: Installation, webhook_id: str) -> None:
    """A copy of the subscription's delivered event, parked as dead after five failures."""

    async def park() -> None:
        settings = load_settings(installation.served.config)
        async with database(settings) as sessions, sessions() as session:
            delivered = (
                await session.execute(
                    WebhookDelivery.__table__.select().where(WebhookDelivery.subscription_id == webhook_id)
                )
            ).first()
            assert delivered is not None
            session.add(
                WebhookDelivery(
                    tenant_id=delivered.tenant_id,
                    subscription_id=webhook_id,
                    event_id=delivered.event_id,
                    topic=delivered.topic,
                    payload=delivered.payload,
                    status="dead",
                    attempts=5,
                    next_attempt_at=None,
                    last_error="HTTP 503",
                    last_status=503,
                )
            )
            await session.commit()

    # Playwright's sync API runs an event loop in this thread: the database is used from another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, park()).result()


def _refresh_until(page: Page, button: str, region: str, text: str) -> None:
    section = page.get_by_role("region", name=region)
    for _ in range(40):
        if section.get_by_text(text, exact=True).count() > 0:
            return
        page.get_by_role("button", name=button).first.click()
        page.wait_for_timeout(500)
    raise AssertionError(f"{region}: no {text!r} within 20 s")


def test_an_owner_subscribes_sees_a_delivery_and_replays_a_dead_letter(
    installation: Installation, page: Page, receiver: Receiver
) -> None:
    _enter(page, installation, OWNER)
    expect(page.get_by_text("No URL receives this tenant's events yet.")).to_be_visible()
    page.get_by_label("URL", exact=True).fill(receiver.url)
    page.get_by_label("Description").fill("audit sync")
    page.get_by_role("button", name="Subscribe").click()
    secret = page.get_by_label("Signing secret")
    expect(secret).to_have_text(re.compile(r"^whsec_"))
    table = page.get_by_role("table", name="The tenant's webhook subscriptions")
    expect(table.get_by_role("row").filter(has_text=receiver.url)).to_contain_text("inference.events.v1")
    screenshot(page, "70-webhooks-created")
    page.get_by_role("button", name="Done").click()
    expect(secret).to_have_count(0)

    with httpx.Client(base_url=installation.url) as api:
        owner = bearer(api, OWNER)
        key = api.post("/api/v1/keys", json={"name": "webhook-bot"}, headers=owner).json()["secret"]
        webhook_id = api.get("/api/v1/webhooks", headers=owner).json()["data"][0]["id"]
    client = openai.OpenAI(base_url=f"{installation.url}/v1", api_key=key)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])

    page.get_by_role("button", name=f"Deliveries of {receiver.url}").click()
    _refresh_until(page, "Refresh", f"Deliveries of {receiver.url}", "delivered")
    assert receiver.received and all(signature for _, signature in receiver.received)
    screenshot(page, "71-webhooks-deliveries")

    _park_dead_letter(installation, webhook_id)
    page.get_by_role("region", name="Dead letters").get_by_role("button", name="Refresh").click()
    dead = page.get_by_role("table", name="Dead letters")
    expect(dead.get_by_role("row").filter(has_text="HTTP 503")).to_contain_text("5")
    _dark(page)
    screenshot(page, "72-webhooks-dead-letter-dark")
    before = len(receiver.received)
    dead.get_by_role("button", name=re.compile("^Replay the delivery of")).click()
    dead.get_by_role("button", name="Confirm replay").click()
    expect(page.get_by_role("status").filter(has_text="Replayed")).to_contain_text("pending again")
    expect(page.get_by_text("No dead letter: every delivery got through")).to_be_visible()
    for _ in range(40):
        if len(receiver.received) > before:
            break
        page.wait_for_timeout(500)
    assert len(receiver.received) > before, "the replayed delivery did not reach the receiver"
    screenshot(page, "73-webhooks-replayed-dark")


def test_an_auditor_reads_webhooks_and_changes_nothing(installation: Installation, page: Page) -> None:
    with httpx.Client(base_url=installation.url) as api:
        auditor = bearer(api, AUDITOR)
        assert api.get("/api/v1/webhooks/dead-letters", headers=auditor).status_code == 200
        refused = api.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:9/x", "topics": ["inference.events.v1"]},
            headers=auditor,
        )
        assert refused.status_code == 403
    _enter(page, installation, AUDITOR)
    expect(page.get_by_role("heading", name="Subscribe a URL")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Pause|Resume|Delete|Replay)"))).to_have_count(0)
    screenshot(page, "74-webhooks-auditor")
    _dark(page)
    screenshot(page, "75-webhooks-auditor-dark")
