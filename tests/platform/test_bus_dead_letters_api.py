"""``/api/v1/admin/bus/dead-letters``: platform admins see the messages the bus's consumers parked, per
topic, replay them (a fixed consumer then handles them) and discard them; tenants' members may not.
On the in-process bus and on Redis Streams (the app's own bus, as a consumer group of the test's)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from tests.events.test_dead_letters import IDLE_S, pump
from tests.gateway.harness import PROVIDER_KEY
from tests.platform.credentials.seed import member_of
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.audit.tables import AuditEventRow
from trueport.events import Delivered, Event, EventBus
from trueport.events.streams import stream_key
from trueport.jsonutil import loads_object
from trueport.mockprovider import MockProvider
from trueport.state.resp import RespClient, parse_url

TOPIC = "inference.events.v1"
BASE = "/api/v1/admin/bus/dead-letters"


@pytest.fixture(params=["memory", "redis"])
async def platform(
    request: pytest.FixtureRequest, sqlite_database_url: str
) -> AsyncIterator[ControlPlaneHarness]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        settings = platform_settings(sqlite_database_url, mock.url, redis=redis_url)
        async with running_platform(settings) as harness:
            yield harness


def _bus(platform: ControlPlaneHarness) -> EventBus:
    assert platform.app.resources is not None
    return platform.app.resources.gateway.events


async def _park(bus: EventBus, events: list[Event]) -> None:
    """Events a consumer group fails until they are parked (5 deliveries each)."""
    consumer = bus.consumer([TOPIC], "billing-sync", "b1")
    await consumer.read(block_s=0)
    for event in events:
        bus.publish(TOPIC, event)
    await bus.flush()

    def handle(item: Delivered) -> None:
        raise RuntimeError(f"the ledger refused {item.event.id}")

    async with asyncio.timeout(10):
        while await bus.dead_letters.count(TOPIC) < len(events):
            await pump(consumer, handle)
            await asyncio.sleep(IDLE_S * 1.5)
    await consumer.close()


async def test_operators_list_replay_and_discard_parked_bus_messages(platform: ControlPlaneHarness) -> None:
    bus = _bus(platform)
    poison = [Event.new(TOPIC, "t1", {"n": n}) for n in range(3)]
    await _park(bus, poison)
    admin = await platform.user("ops@installation.test", platform_admin=True)
    auth = platform.auth(admin)

    counts = await platform.client.get(BASE, headers=auth)
    assert counts.status_code == 200, counts.text
    assert {row["topic"]: row["parked"] for row in counts.json()["data"]} == {
        "inference.events.v1": 3,
        "budget.events.v1": 0,
        "hitl.events.v1": 0,
        "eval.events.v1": 0,
    }

    first = await platform.client.get(f"{BASE}/{TOPIC}?limit=2", headers=auth)
    assert first.status_code == 200, first.text
    page = first.json()
    assert len(page["data"]) == 2 and page["next_cursor"]
    rest = await platform.client.get(f"{BASE}/{TOPIC}?limit=2&cursor={page['next_cursor']}", headers=auth)
    letters: list[dict[str, Any]] = page["data"] + rest.json()["data"]
    assert rest.json()["next_cursor"] is None
    assert [letter["payload"]["id"] for letter in letters] == [event.id for event in poison]
    letter = letters[0]
    assert letter["group"] == "billing-sync" and letter["consumer"] == "b1" and letter["topic"] == TOPIC
    assert letter["deliveries"] == 5 and letter["replayable"] is True and letter["tenant_id"] == "t1"
    assert letter["error"] == f"RuntimeError: the ledger refused {poison[0].id}"
    assert letter["payload"] == poison[0].as_dict()
    one = await platform.client.get(f"{BASE}/{TOPIC}/{letter['id']}", headers=auth)
    assert one.json() == letter

    metrics = await platform.client.get(
        "/metrics",
        headers={"Authorization": f"Bearer {platform.settings.admin_token.get_secret_value()}"},  # type: ignore[union-attr]
    )
    assert 'trueport_bus_dead_letters_total{group="billing-sync",topic="inference.events.v1"}' in metrics.text

    # Replay: published to the topic again; the group, fixed, handles it.
    consumer = bus.consumer([TOPIC], "billing-sync", "b2")
    replayed = await platform.client.post(f"{BASE}/{TOPIC}/{letter['id']}/replay", headers=auth)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["id"] == letter["id"] and replayed.json()["topic"] == TOPIC
    got = await consumer.read(block_s=2)
    assert [(item.message_id, item.event) for item in got] == [(replayed.json()["message_id"], poison[0])]
    await consumer.ack(got)
    await consumer.close()
    again = await platform.client.post(f"{BASE}/{TOPIC}/{letter['id']}/replay", headers=auth)
    assert again.status_code == 404 and again.json()["error"]["code"] == "dead_letter_not_found"

    discarded = await platform.client.delete(f"{BASE}/{TOPIC}/{letters[1]['id']}", headers=auth)
    assert discarded.status_code == 204
    assert (
        await platform.client.delete(f"{BASE}/{TOPIC}/{letters[1]['id']}", headers=auth)
    ).status_code == 404
    left = await platform.client.get(f"{BASE}/{TOPIC}", headers=auth)
    assert [row["id"] for row in left.json()["data"]] == [letters[2]["id"]]

    # Tenants' people may not; topics are the declared ones; ids and cursors are checked.
    owner = await member_of(platform, "acme", "owner")
    for method, path in (
        ("GET", BASE),
        ("GET", f"{BASE}/{TOPIC}"),
        ("POST", f"{BASE}/{TOPIC}/{letters[2]['id']}/replay"),
        ("DELETE", f"{BASE}/{TOPIC}/{letters[2]['id']}"),
    ):
        refused = await platform.client.request(method, path, headers=owner.headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "platform_admin_required"
    assert (await platform.client.get(f"{BASE}/nope.v1", headers=auth)).status_code == 422
    assert (await platform.client.get(f"{BASE}/{TOPIC}/not-an-id", headers=auth)).status_code == 422
    bad = await platform.client.get(f"{BASE}/{TOPIC}?cursor=bm90LWEtY3Vyc29y", headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
    assert (await platform.client.get(f"{BASE}/{TOPIC}/1-0", headers=auth)).status_code == 404

    # Audited (installation-wide events): who replayed and who discarded which letter.
    async with platform.sessions() as session:
        rows = (
            await session.execute(select(AuditEventRow).where(AuditEventRow.kind == "control_plane"))
        ).scalars()
        audited = [loads_object(row.body) for row in rows]
    actions = {
        (event["action"], event["object_id"], event["actor"])
        for event in audited
        if event["object_type"] == "bus_dead_letter"
    }
    assert actions == {
        ("replay", f"{TOPIC}/{letter['id']}", f"user:{admin.id}"),
        ("delete", f"{TOPIC}/{letters[1]['id']}", f"user:{admin.id}"),
    }


async def test_a_parked_entry_that_is_not_an_event_is_not_replayed(
    sqlite_database_url: str, redis_url: str
) -> None:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        settings = platform_settings(sqlite_database_url, mock.url, redis=redis_url)
        async with running_platform(settings) as platform:
            bus = _bus(platform)
            consumer = bus.consumer([TOPIC], "g", "c")
            await consumer.read(block_s=0)
            raw = RespClient(parse_url(redis_url), 2.0)
            await raw.execute("XADD", stream_key(TOPIC), "*", "event", b"\xffnot json")
            await raw.close()
            assert await consumer.read(block_s=0.2) == []
            await consumer.close()
            admin = await platform.user("ops@installation.test", platform_admin=True)
            auth = platform.auth(admin)
            letters = (await platform.client.get(f"{BASE}/{TOPIC}", headers=auth)).json()["data"]
            [letter] = [letter for letter in letters if letter["group"] == "g"]  # webhooks parked its own
            assert letter["replayable"] is False and letter["deliveries"] == 1
            assert letter["payload"] == "\\xffnot json" and letter["error"].startswith("not an event")
            refused = await platform.client.post(f"{BASE}/{TOPIC}/{letter['id']}/replay", headers=auth)
            assert refused.status_code == 409 and refused.json()["error"]["code"] == "dead_letter_unreadable"
            assert (
                await platform.client.delete(f"{BASE}/{TOPIC}/{letter['id']}", headers=auth)
            ).status_code == 204
