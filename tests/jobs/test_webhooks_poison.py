"""A poison event in the webhook intake (PostgreSQL refuses to store its delivery: its id is longer than
the column) is stored alone, fails 5 deliveries and is parked in the topic's dead-letter stream, while
the events around it are delivered, once each. Real Redis, real PostgreSQL, a real receiver."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from tests.gateway.harness import PROVIDER_KEY
from tests.jobs.test_webhooks import Receiver, _subscribe, _tenant_with_key, _worker, receiving
from tests.platform.harness import platform_settings, running_platform

from support.postgres import PostgresServer
from trueport.events import Event
from trueport.mockprovider import MockProvider

pytestmark = pytest.mark.postgres

TOPIC = "inference.events.v1"


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"t_{secrets.token_hex(6)}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


async def test_a_poison_event_is_parked_while_the_others_are_delivered(
    postgres_url: str, redis_url: str
) -> None:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        settings = platform_settings(postgres_url, mock.url, redis=redis_url)
        async with running_platform(settings) as platform, receiving(Receiver(statuses=[])) as receiver:
            worker = _worker(platform)
            worker.poll_s, worker.claim_idle_s = 0.02, 0.2
            tenant_id, headers, _ = await _tenant_with_key(platform)
            await _subscribe(platform, headers, receiver)
            assert platform.app.resources is not None
            bus = platform.app.resources.gateway.events
            good = [Event.new(TOPIC, tenant_id, {"n": n}) for n in range(2)]
            poison = Event("p" * 40, TOPIC, tenant_id, datetime.now(UTC), {"n": 99})
            for event in (good[0], poison, good[1]):
                bus.publish(TOPIC, event)
            await bus.flush()

            admin = await platform.user("ops@installation.test", platform_admin=True)
            auth = platform.auth(admin)
            url = f"/api/v1/admin/bus/dead-letters/{TOPIC}"
            async with asyncio.timeout(15):
                while not (await platform.client.get(url, headers=auth)).json()["data"]:
                    await asyncio.sleep(0.05)
            await receiver.wait_for(2)
            await asyncio.sleep(0.3)  # nothing more arrives
            [letter] = (await platform.client.get(url, headers=auth)).json()["data"]
            metrics = await platform.client.get(
                "/metrics",
                headers={"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"},  # type: ignore[union-attr]
            )

    assert sorted(headers["webhook-id"] for headers, _, _ in receiver.requests) == sorted(e.id for e in good)
    assert letter["group"] == "webhooks" and letter["deliveries"] == 5
    assert letter["payload"]["id"] == poison.id and letter["replayable"] is True
    assert "value too long" in letter["error"] and "INSERT" not in letter["error"]  # never the statement
    assert 'trueport_bus_dead_letters_total{group="webhooks",topic="inference.events.v1"} 1.0' in metrics.text
