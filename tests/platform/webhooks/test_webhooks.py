"""``/webhooks``: subscriptions (the secret shown once, sealed at rest), deliveries, dead letters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import Tenant, User, WebhookDelivery, WebhookSubscription, new_id
from trueport.platform.webhooks.sealing import open_secret

HOOK = {"url": "https://hooks.example.com/in", "topics": ["inference.events.v1"], "description": "sync"}


async def _owner(platform: ControlPlaneHarness, slug: str = "acme") -> tuple[Tenant, User, dict[str, str]]:
    tenant = await platform.tenant(slug)
    owner = await platform.user(f"owner@{slug}.test")
    await platform.member(tenant, owner, "owner")
    return tenant, owner, platform.auth(owner, tenant)


async def _create(platform: ControlPlaneHarness, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await platform.client.post("/api/v1/webhooks", headers=headers, json={**HOOK, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _dead_delivery(platform: ControlPlaneHarness, tenant: Tenant, webhook_id: str) -> str:
    async with platform.sessions() as session:
        row = WebhookDelivery(
            id=new_id(),
            tenant_id=tenant.id,
            subscription_id=webhook_id,
            event_id=new_id(),
            topic="inference.events.v1",
            payload=b'{"id":"e","data":{}}',
            status="dead",
            attempts=5,
            next_attempt_at=None,
            last_error="HTTP 500",
            last_status=500,
        )
        session.add(row)
        await session.commit()
        return row.id


async def test_create_shows_the_secret_once_and_seals_it(platform: ControlPlaneHarness) -> None:
    _, _, headers = await _owner(platform)
    created = await _create(platform, headers)
    assert created["secret"].startswith("whsec_")
    assert {k: created[k] for k in ("url", "topics", "description", "active")} == {**HOOK, "active": True}
    one = (await platform.client.get(f"/api/v1/webhooks/{created['id']}", headers=headers)).json()
    listed = (await platform.client.get("/api/v1/webhooks", headers=headers)).json()
    assert "secret" not in one and all("secret" not in row for row in listed["data"])
    assert [row["id"] for row in listed["data"]] == [created["id"]]
    async with platform.sessions() as session:
        row = (await session.execute(select(WebhookSubscription))).scalar_one()
        assert created["secret"].encode() not in row.ciphertext
        assert open_secret(platform.platform.envelope, row) == created["secret"]


async def test_update_and_delete(platform: ControlPlaneHarness) -> None:
    tenant, _, headers = await _owner(platform)
    created = await _create(platform, headers)
    url = f"/api/v1/webhooks/{created['id']}"
    patched = await platform.client.patch(
        url, headers=headers, json={"topics": ["budget.events.v1", "hitl.events.v1"], "active": False}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["topics"] == ["budget.events.v1", "hitl.events.v1"]
    assert patched.json()["active"] is False
    assert (await platform.client.patch(url, headers=headers, json={"url": None})).status_code == 400
    await _dead_delivery(platform, tenant, created["id"])
    assert (await platform.client.delete(url, headers=headers)).status_code == 204
    assert (await platform.client.get(url, headers=headers)).status_code == 404
    dead = await platform.client.get("/api/v1/webhooks/dead-letters", headers=headers)
    assert dead.json()["data"] == []  # its deliveries went with it


async def test_invalid_bodies_are_refused(platform: ControlPlaneHarness) -> None:
    _, _, headers = await _owner(platform)
    for body in (
        {**HOOK, "topics": []},
        {**HOOK, "topics": ["nope.v1"]},
        {**HOOK, "topics": ["hitl.events.v1", "hitl.events.v1"]},
        {**HOOK, "secret": "whsec_mine"},
        {**HOOK, "description": "x" * 201},
    ):
        response = await platform.client.post("/api/v1/webhooks", headers=headers, json=body)
        assert response.status_code == 422, body
    bad = await platform.client.post("/api/v1/webhooks", headers=headers, json={**HOOK, "url": "ftp://x/y"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unsafe_url"


async def test_dead_letters_list_and_replay(platform: ControlPlaneHarness) -> None:
    tenant, _, headers = await _owner(platform)
    created = await _create(platform, headers, url="http://127.0.0.1:9/hook")
    await platform.client.patch(f"/api/v1/webhooks/{created['id']}", headers=headers, json={"active": False})
    ids = [await _dead_delivery(platform, tenant, created["id"]) for _ in range(3)]
    page = await platform.client.get("/api/v1/webhooks/dead-letters?limit=2", headers=headers)
    assert page.status_code == 200
    second = await platform.client.get(
        f"/api/v1/webhooks/dead-letters?limit=2&cursor={page.json()['next_cursor']}", headers=headers
    )
    assert [r["id"] for r in page.json()["data"] + second.json()["data"]] == ids
    assert page.json()["data"][0]["event"] == {"id": "e", "data": {}}
    replay = f"/api/v1/webhooks/dead-letters/{ids[0]}/replay"
    paused = await platform.client.post(replay, headers=headers)
    assert paused.status_code == 409 and paused.json()["error"]["code"] == "webhook_inactive"
    await platform.client.patch(f"/api/v1/webhooks/{created['id']}", headers=headers, json={"active": True})
    replayed = await platform.client.post(replay, headers=headers)
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["status"] == "pending" and replayed.json()["attempts"] == 0
    again = await platform.client.post(replay, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "delivery_not_dead"
    deliveries = await platform.client.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=headers)
    assert {r["id"] for r in deliveries.json()["data"]} == set(ids)


async def test_another_tenants_webhooks_and_dead_letters_are_not_found(platform: ControlPlaneHarness) -> None:
    b, _, b_headers = await _owner(platform, "bee")
    theirs = await _create(platform, b_headers)
    dead = await _dead_delivery(platform, b, theirs["id"])
    _, _, headers = await _owner(platform, "acme")
    for method, path in (
        ("GET", f"/api/v1/webhooks/{theirs['id']}"),
        ("PATCH", f"/api/v1/webhooks/{theirs['id']}"),
        ("DELETE", f"/api/v1/webhooks/{theirs['id']}"),
        ("GET", f"/api/v1/webhooks/{theirs['id']}/deliveries"),
        ("POST", f"/api/v1/webhooks/dead-letters/{dead}/replay"),
        ("GET", "/api/v1/webhooks/not-a-uuid"),
    ):
        body = {"description": "x"} if method == "PATCH" else None
        response = await platform.client.request(method, path, headers=headers, json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert (await platform.client.get("/api/v1/webhooks/dead-letters", headers=headers)).json()["data"] == []
    assert (await platform.client.get("/api/v1/webhooks", headers=headers)).json()["data"] == []


async def test_auditors_read_but_do_not_write(platform: ControlPlaneHarness) -> None:
    tenant, _, headers = await _owner(platform)
    created = await _create(platform, headers)
    auditor = await platform.user("auditor@acme.test")
    await platform.member(tenant, auditor, "auditor")
    reader = platform.auth(auditor, tenant)
    assert (await platform.client.get("/api/v1/webhooks", headers=reader)).status_code == 200
    assert (await platform.client.get("/api/v1/webhooks/dead-letters", headers=reader)).status_code == 200
    denied = await platform.client.post("/api/v1/webhooks", headers=reader, json=HOOK)
    assert denied.status_code == 403
    deleted = await platform.client.delete(f"/api/v1/webhooks/{created['id']}", headers=reader)
    assert deleted.status_code == 403
