"""The delivery worker against a real receiver (an aiohttp server): signed POSTs, retries, the
dead-letter queue after 5 failures, delivery on replay; redirects, timeouts and the SSRF guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select
from tests.gateway.harness import PROVIDER_KEY
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.db.models import WebhookDelivery
from trueport.events import Event, MemoryBus
from trueport.jobs.webhooks import RetryPolicy, WebhookWorker
from trueport.mockprovider import MockProvider
from trueport.platform.webhooks.signing import InvalidSignature, verify_signature

CHAT = {"model": "oa", "messages": [{"role": "user", "content": "a secret prompt"}]}
FAST = RetryPolicy(max_attempts=5, base_s=0.02, max_s=0.1)


@pytest.fixture
async def platform(database_url: str) -> AsyncIterator[ControlPlaneHarness]:
    """TruePort with its control plane and its webhook worker, on SQLite and on PostgreSQL."""
    async with (
        MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock,
        running_platform(platform_settings(database_url, mock.url)) as harness,
    ):
        yield harness


@dataclass
class Receiver:
    """Answers ``statuses`` in turn (then 200) and checks each request's signature on arrival."""

    statuses: list[int]
    secret: str = ""
    requests: list[tuple[dict[str, str], bytes, bool]] = field(default_factory=list)
    delay_s: float = 0.0
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify_signature(self.secret, request.headers, body, tolerance_s=60)
            valid = True
        except InvalidSignature:
            valid = False
        self.requests.append(({k.lower(): v for k, v in request.headers.items()}, body, valid))
        self.arrived.set()
        await asyncio.sleep(self.delay_s)
        status = self.statuses.pop(0) if self.statuses else 200
        if status in (301, 302):
            return web.Response(status=status, headers={"Location": f"{self.url}/elsewhere"})
        return web.Response(status=status, text="ok")

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    app.router.add_post("/elsewhere", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()


def _worker(platform: ControlPlaneHarness) -> WebhookWorker:
    assert platform.app.resources is not None and platform.app.resources.webhooks is not None
    return platform.app.resources.webhooks


async def _tenant_with_key(platform: ControlPlaneHarness) -> tuple[str, dict[str, str], str]:
    tenant = await platform.tenant("acme")
    owner = await platform.user("owner@acme.test")
    await platform.member(tenant, owner, "owner")
    headers = platform.auth(owner, tenant)
    key = await platform.client.post("/api/v1/keys", headers=headers, json={"name": "app"})
    assert key.status_code == 201, key.text
    return tenant.id, headers, str(key.json()["secret"])


async def _subscribe(platform: ControlPlaneHarness, headers: dict[str, str], receiver: Receiver) -> str:
    created = await platform.client.post(
        "/api/v1/webhooks",
        headers=headers,
        json={"url": f"{receiver.url}/hook", "topics": ["inference.events.v1"]},
    )
    assert created.status_code == 201, created.text
    receiver.secret = created.json()["secret"]
    return str(created.json()["id"])


async def _eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not await check():
            await asyncio.sleep(0.02)


async def _run_dead_letter_and_replay(platform: ControlPlaneHarness) -> None:
    worker = _worker(platform)
    worker.retry, worker.poll_s = FAST, 0.02
    async with receiving(Receiver(statuses=[500, 503, 500, 502, 500])) as receiver:
        tenant_id, headers, key = await _tenant_with_key(platform)
        webhook_id = await _subscribe(platform, headers, receiver)
        answer = await platform.client.post(
            "/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {key}"}
        )
        assert answer.status_code == 200

        async def dead() -> list[dict[str, Any]]:
            page = await platform.client.get("/api/v1/webhooks/dead-letters", headers=headers)
            data: list[dict[str, Any]] = page.json()["data"]
            return data

        await _eventually(lambda: _nonempty(dead()))
        [letter] = await dead()
        assert letter["webhook_id"] == webhook_id and letter["attempts"] == 5
        assert letter["last_status"] == 500 and letter["last_error"] == "HTTP 500"
        assert len(receiver.requests) == 5

        replay = await platform.client.post(
            f"/api/v1/webhooks/dead-letters/{letter['id']}/replay", headers=headers
        )
        assert replay.status_code == 202, replay.text
        await receiver.wait_for(6)
        assert len(receiver.requests) == 6

        async def delivered() -> bool:
            page = await platform.client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=headers)
            return bool(page.json()["data"][0]["status"] == "delivered")

        await _eventually(delivered)
        assert await dead() == []

    # Every attempt: a valid signature over the same bytes, the same webhook-id (the event's id).
    assert all(valid for _, _, valid in receiver.requests)
    bodies = {body for _, body, _ in receiver.requests}
    assert len(bodies) == 1
    assert {headers["webhook-id"] for headers, _, _ in receiver.requests} == {letter["event_id"]}
    event = letter["event"]
    assert event["topic"] == "inference.events.v1" and event["tenant_id"] == tenant_id
    data = event["data"]
    assert data["request_id"] == answer.headers["x-request-id"]
    assert data["alias"] == "oa" and data["provider"] == "oa" and data["status"] == 200
    assert data["prompt_tokens"] > 0 and data["latency_ms"] > 0
    assert b"a secret prompt" not in bodies.pop()  # no prompt content in events


async def _nonempty(page: Awaitable[list[dict[str, Any]]]) -> bool:
    return bool(await page)


async def test_a_failing_endpoint_lands_in_the_dead_letter_queue_and_is_delivered_on_replay(
    platform: ControlPlaneHarness,
) -> None:
    await _run_dead_letter_and_replay(platform)


async def test_the_same_over_redis_streams(database_url: str, redis_url: str) -> None:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        settings = platform_settings(database_url, mock.url, redis=redis_url)
        async with running_platform(settings) as platform:
            await _run_dead_letter_and_replay(platform)


async def _stopped_app_worker(platform: ControlPlaneHarness, **options: Any) -> WebhookWorker:
    """A worker of the test's own (the app's is stopped so that it does not race this one)."""
    await _worker(platform).stop()
    slow = RetryPolicy(base_s=60)  # one attempt per test: the next is a minute away
    worker = WebhookWorker(platform.sessions, MemoryBus(), platform.platform.envelope, retry=slow, **options)
    await worker.start()
    return worker


async def _publish_and_send(
    platform: ControlPlaneHarness, worker: WebhookWorker, tenant_id: str
) -> WebhookDelivery:
    bus = worker._bus
    bus.publish("inference.events.v1", Event.new("inference.events.v1", tenant_id, {"n": 1}))
    await bus.flush()
    assert await worker.intake(block_s=1) == 1
    await worker.send_due()  # or its own loop, woken by the intake, got there first

    async def attempted() -> WebhookDelivery | None:
        async with platform.sessions() as session:
            row = (await session.execute(select(WebhookDelivery))).scalar_one()
            return row if row.attempts else None

    await _eventually(lambda: _is_not_none(attempted()))
    row = await attempted()
    assert row is not None
    return row


async def _is_not_none(value: Awaitable[object]) -> bool:
    return await value is not None


@pytest.mark.parametrize(
    ("options", "statuses", "delay_s", "error"),
    [
        ({"allow_private": True}, [302], 0.0, "HTTP 302"),  # redirects are not followed
        ({"allow_private": True, "timeout_s": 0.2}, [], 1.0, "no answer within 0.2 s"),
        ({"allow_private": False}, [], 0.0, "url must start with https://"),  # checked again at delivery
    ],
)
async def test_a_redirect_a_timeout_or_an_unsafe_url_is_a_failed_attempt(
    platform: ControlPlaneHarness, options: dict[str, Any], statuses: list[int], delay_s: float, error: str
) -> None:
    async with receiving(Receiver(statuses=list(statuses), delay_s=delay_s)) as receiver:
        tenant_id, headers, _ = await _tenant_with_key(platform)
        await _subscribe(platform, headers, receiver)
        worker = await _stopped_app_worker(platform, **options)
        try:
            delivery = await _publish_and_send(platform, worker, tenant_id)
        finally:
            await worker.stop()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error is not None and delivery.last_error.startswith(error)
    assert delivery.next_attempt_at is not None
    if options["allow_private"] is False:
        assert receiver.requests == []
    else:
        assert [r[0]["webhook-id"] for r in receiver.requests] == [delivery.event_id]


async def test_only_subscribed_topics_of_the_events_tenant_are_delivered(
    platform: ControlPlaneHarness,
) -> None:
    async with receiving(Receiver(statuses=[])) as receiver:
        tenant_id, headers, _ = await _tenant_with_key(platform)
        await _subscribe(platform, headers, receiver)
        worker = await _stopped_app_worker(platform, allow_private=True)
        try:
            bus = worker._bus
            other = await platform.tenant("other")
            bus.publish("budget.events.v1", Event.new("budget.events.v1", tenant_id, {}))
            bus.publish("inference.events.v1", Event.new("inference.events.v1", other.id, {}))
            bus.publish("inference.events.v1", Event.new("inference.events.v1", None, {}))
            await bus.flush()
            assert await worker.intake(block_s=1) == 0
            assert await worker.send_due() == 0
        finally:
            await worker.stop()
    assert receiver.requests == []


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_s=1.0, max_s=10.0)
    for failures, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (9, 10.0)):
        delays = {policy.delay_s(failures) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


async def test_a_redis_that_is_away_does_not_hold_up_the_start(platform: ControlPlaneHarness) -> None:
    from trueport.events import open_event_bus
    from trueport.settings import Settings

    bus = await open_event_bus(Settings(redis="redis://127.0.0.1:9"))
    worker = WebhookWorker(platform.sessions, bus, platform.platform.envelope, allow_private=True)
    started = asyncio.get_running_loop().time()
    await worker.start()
    assert asyncio.get_running_loop().time() - started < 2.0
    await worker.stop()
    await bus.close()
