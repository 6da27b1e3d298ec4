"""The audit trail through the API: data-plane calls and control-plane changes become events that a
tenant (and only that tenant) can list and prove against signed checkpoints."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from sqlalchemy import select
from tests.platform.harness import ControlPlaneHarness

from trueport.audit.checkpoints import Checkpoint
from trueport.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from trueport.audit.signing import PublicKeys, load_public_keys
from trueport.audit.tables import AuditEventRow
from trueport.db.models import ApiKey, Tenant, User

_CHAT = {"model": "oa", "messages": [{"role": "user", "content": "hello"}]}


async def _owner(platform: ControlPlaneHarness, slug: str) -> tuple[Tenant, User, dict[str, str]]:
    tenant = await platform.tenant(slug)
    owner = await platform.user(f"owner@{slug}.test")
    await platform.member(tenant, owner, "owner")
    return tenant, owner, platform.auth(owner, tenant)


async def _key(platform: ControlPlaneHarness, headers: dict[str, str]) -> dict[str, Any]:
    created = await platform.client.post("/api/v1/keys", json={"name": "ci"}, headers=headers)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def _events(
    platform: ControlPlaneHarness, headers: dict[str, str], **params: str
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await platform.client.get("/api/v1/audit/events", params=query, headers=headers)
        assert page.status_code == 200, page.text
        events += page.json()["data"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return events


async def _logged(
    platform: ControlPlaneHarness, headers: dict[str, str], count: int, **params: str
) -> list[dict[str, Any]]:
    """The tenant's events once there are at least ``count``: durable events reach the database from the
    write-ahead spool a moment after the answer (their durability itself: tests/replicas/test_audit_kill.py)."""
    deadline = time.monotonic() + 5
    while len(events := await _events(platform, headers, **params)) < count:
        assert time.monotonic() < deadline, f"{len(events)} events, not {count}"
        await asyncio.sleep(0.05)
    return events


async def _keys(client: httpx.AsyncClient) -> PublicKeys:
    published = await client.get("/api/v1/audit/public-keys")  # no sign-in
    assert published.status_code == 200
    assert [key["current"] for key in published.json()] == [True]
    return load_public_keys("".join(key["pem"] for key in published.json()).encode())


async def _proven(
    platform: ControlPlaneHarness, headers: dict[str, str], event: dict[str, Any]
) -> Checkpoint:
    """Check the event's inclusion proof and its checkpoint's signature; return the checkpoint."""
    response = await platform.client.get(
        "/api/v1/audit/proofs/inclusion", params={"event_id": event["event_id"]}, headers=headers
    )
    assert response.status_code == 200, response.text
    proof = response.json()
    checkpoint = Checkpoint.from_json(proof["checkpoint"])
    assert checkpoint.verify(await _keys(platform.client))
    assert checkpoint.tree_size == proof["tree_size"] > event["index"] == proof["leaf_index"]
    leaf = leaf_hash(event["leaf"].encode())
    assert leaf.hex() == proof["leaf_hash"] == event["leaf_hash"]
    path = [bytes.fromhex(entry) for entry in proof["audit_path"]]
    assert verify_inclusion(proof["leaf_index"], checkpoint.tree_size, leaf, path, checkpoint.root_hash)
    assert not verify_inclusion(
        proof["leaf_index"],
        checkpoint.tree_size,
        leaf_hash(event["leaf"].encode() + b" "),
        path,
        checkpoint.root_hash,
    )
    return checkpoint


async def test_a_2xx_call_has_its_event_when_the_answer_arrives(platform: ControlPlaneHarness) -> None:
    tenant, _, headers = await _owner(platform, "acme")
    key = await _key(platform, headers)
    answer = await platform.client.post(
        "/v1/chat/completions", json=_CHAT, headers={"Authorization": f"Bearer {key['secret']}"}
    )
    assert answer.status_code == 200
    request_id = answer.headers["x-request-id"]

    events = await _logged(platform, headers, 1, kind="data_plane")
    [event] = [e for e in events if e["event"]["request_id"] == request_id]
    document = event["event"]
    assert document["tenant_id"] == tenant.id
    assert document["key_id"] == key["id"]
    assert document["endpoint"] == "/v1/chat/completions"
    assert document["model"] == "oa"
    assert document["outcome"]["status_code"] == 200
    assert document["usage"]["prompt_tokens"] > 0
    assert document["targets"] and document["targets"][-1]["outcome"] == "ok"
    assert document["seq"] == event["index"]
    first = await _proven(platform, headers, event)

    refused = await platform.client.post(
        "/v1/chat/completions",
        json={**_CHAT, "model": "no-such-model"},
        headers={"Authorization": f"Bearer {key['secret']}"},
    )
    assert refused.status_code == 404
    found = [
        e
        for e in await _logged(platform, headers, 2, kind="data_plane")
        if e["event"]["request_id"] == refused.headers["x-request-id"]
    ]
    assert found[0]["event"]["outcome"] == {
        "status_code": 404,
        "error_class": "ModelNotFound",
        "fallback": False,
        "served_from": None,
        "latency_ms": found[0]["event"]["outcome"]["latency_ms"],
    }
    second = await _proven(platform, headers, found[0])

    consistency = await platform.client.get(
        "/api/v1/audit/proofs/consistency",
        params={"first": first.tree_size, "second": second.tree_size},
        headers=headers,
    )
    assert consistency.status_code == 200, consistency.text
    body = consistency.json()
    assert body["first_root"] == first.root_hash.hex() and body["second_root"] == second.root_hash.hex()
    proof = [bytes.fromhex(entry) for entry in body["proof"]]
    assert verify_consistency(first.tree_size, second.tree_size, first.root_hash, second.root_hash, proof)
    beyond = await platform.client.get(
        "/api/v1/audit/proofs/consistency", params={"first": 1, "second": 10**9}, headers=headers
    )
    assert beyond.status_code == 400
    latest = await platform.client.get("/api/v1/audit/checkpoints/latest", headers=headers)
    assert Checkpoint.from_json(latest.json()).tree_size >= second.tree_size


async def test_control_plane_changes_are_events_without_secrets(platform: ControlPlaneHarness) -> None:
    tenant, owner, headers = await _owner(platform, "acme")
    key = await _key(platform, headers)
    revoked = await platform.client.post(f"/api/v1/keys/{key['id']}/revoke", headers=headers)
    assert revoked.status_code == 200
    admin = await platform.client.patch(
        f"/api/v1/tenants/{tenant.id}",
        json={"name": "Acme Inc"},
        headers={"Authorization": f"Bearer {platform.settings.admin_token.get_secret_value()}"},  # type: ignore[union-attr]
    )
    assert admin.status_code == 200, admin.text

    # The key's creation and revocation, and the rename (the tenant's own row).
    events = [e["event"] for e in await _logged(platform, headers, 3, kind="control_plane")]
    created = [e for e in events if e["object_type"] == "api_keys" and e["action"] == "create"]
    assert [e["object_id"] for e in created] == [key["id"]]
    assert created[0]["actor"] == f"user:{owner.id}"
    assert created[0]["tenant_id"] == tenant.id
    assert created[0]["after"]["name"] == "ci" and created[0]["before"] is None
    assert "key_hash" not in created[0]["after"]
    assert created[0]["source_ip"] == "127.0.0.1"
    [revoke] = [e for e in events if e["object_type"] == "api_keys" and e["action"] == "revoke"]
    assert revoke["before"]["revoked_at"] is None and revoke["after"]["revoked_at"]
    [renamed] = [e for e in events if e["object_type"] == "tenants"]
    assert renamed["actor"] == "admin-token"
    assert renamed["before"]["name"] != "Acme Inc" and renamed["after"]["name"] == "Acme Inc"

    async with platform.sessions() as session:
        bodies = b"\n".join(bytes(b) for b in (await session.execute(select(AuditEventRow.body))).scalars())
        key_hash = (await session.get(ApiKey, key["id"])).key_hash  # type: ignore[union-attr]
        user = await session.get(User, owner.id)
    assert user is not None
    for secret in (key["secret"].encode(), user.password_hash.encode(), b"key_hash", b"password_hash"):
        assert secret not in bodies
    hashed = key_hash if isinstance(key_hash, bytes) else str(key_hash).encode()
    assert hashed not in bodies


async def test_a_tenant_sees_and_proves_only_its_own_events(platform: ControlPlaneHarness) -> None:
    _, _, a_headers = await _owner(platform, "acme")
    tenant_b, _, b_owner_headers = await _owner(platform, "globex")
    auditor = await platform.user("auditor@globex.test")
    await platform.member(tenant_b, auditor, "auditor")
    b_headers = platform.auth(auditor, tenant_b)
    await _key(platform, a_headers)
    await _key(platform, b_owner_headers)

    a_events = await _logged(platform, a_headers, 1)
    b_events = await _logged(platform, b_headers, 1)
    assert a_events and b_events
    assert {e["event"]["tenant_id"] for e in b_events} == {tenant_b.id}
    assert not {e["event_id"] for e in a_events} & {e["event_id"] for e in b_events}
    assert [e["tenant_seq"] for e in b_events] == list(range(len(b_events)))
    for event in a_events:
        stolen = await platform.client.get(
            "/api/v1/audit/proofs/inclusion", params={"event_id": event["event_id"]}, headers=b_headers
        )
        assert stolen.status_code == 404
    await _proven(platform, b_headers, b_events[0])
    assert (await platform.client.get("/api/v1/audit/events")).status_code == 401
    bad_cursor = await platform.client.get("/api/v1/audit/events", params={"cursor": "x"}, headers=b_headers)
    assert bad_cursor.status_code == 400


async def test_a_streamed_answer_has_its_usage_in_its_event(platform: ControlPlaneHarness) -> None:
    _, _, headers = await _owner(platform, "acme")
    key = await _key(platform, headers)
    answer = await platform.client.post(
        "/v1/chat/completions",
        json={**_CHAT, "stream": True, "stream_options": {"include_usage": True}},
        headers={"Authorization": f"Bearer {key['secret']}"},
    )
    assert answer.status_code == 200 and "[DONE]" in answer.text
    events = await _logged(platform, headers, 1, kind="data_plane")
    [event] = [e for e in events if e["event"]["request_id"] == answer.headers["x-request-id"]]
    assert event["event"]["stream"] is True
    assert event["event"]["usage"]["prompt_tokens"] > 0
    assert event["event"]["usage"]["completion_tokens"] > 0
