"""Keys belong to whoever created them: a member manages only their own, admins and owners every key;
removing a member revokes the keys they created (audited, and refused by the gateway at once)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform
from tests.platform.keys.calls import chat_status, eventually

from support.smtp import SmtpSink
from trueport.db.models import ApiKey, Tenant, User
from trueport.mockprovider import MockProvider


@pytest.fixture
async def platform(
    database_url: str, mock: MockProvider, smtp: SmtpSink, tmp_path: Path
) -> AsyncIterator[ControlPlaneHarness]:
    """The control plane with its audit spool in the test's own directory (the audit trail is read)."""
    settings = platform_settings(
        database_url, mock.url, mail=smtp.mail_settings(), audit={"spool_dir": str(tmp_path / "spool")}
    )
    async with running_platform(settings) as harness:
        yield harness


async def _people(platform: ControlPlaneHarness) -> tuple[Tenant, dict[str, User], dict[str, dict[str, str]]]:
    tenant = await platform.tenant("acme")
    users: dict[str, User] = {}
    headers: dict[str, dict[str, str]] = {}
    for name, role in (("owner", "owner"), ("admin", "admin"), ("alice", "member"), ("bob", "member")):
        users[name] = await platform.user(f"{name}@acme.test")
        await platform.member(tenant, users[name], role)
        headers[name] = platform.auth(users[name], tenant)
    return tenant, users, headers


async def _key(platform: ControlPlaneHarness, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    created = await platform.client.post("/api/v1/keys", json=body, headers=headers)
    assert created.status_code == 201, created.text
    key: dict[str, Any] = created.json()
    return key


async def _row(platform: ControlPlaneHarness, key_id: str) -> ApiKey:
    async with platform.sessions() as session:
        return (await session.execute(select(ApiKey).where(ApiKey.id == key_id))).scalar_one()


async def test_a_member_cannot_touch_another_members_or_the_owners_key(platform: ControlPlaneHarness) -> None:
    _, users, headers = await _people(platform)
    owners = await _key(platform, headers["owner"], name="prod", models=["oa"], rpm_limit=10)
    bobs = await _key(platform, headers["bob"], name="bob's")
    assert owners["created_by"] == users["owner"].id and bobs["created_by"] == users["bob"].id
    before = await _row(platform, owners["id"])

    for target in (owners, bobs):
        url = f"/api/v1/keys/{target['id']}"
        attempts = [
            await platform.client.patch(url, json={"rpm_limit": 100_000}, headers=headers["alice"]),
            await platform.client.patch(url, json={"models": None}, headers=headers["alice"]),  # widen
            await platform.client.post(f"{url}/rotate", json={"overlap_s": 0}, headers=headers["alice"]),
            await platform.client.post(f"{url}/revoke", headers=headers["alice"]),
        ]
        for attempt in attempts:
            assert attempt.status_code == 403, attempt.text
            assert attempt.json()["error"]["code"] == "not_key_owner"
            assert "secret" not in attempt.json()
        # Reading stays open to the role (keys:read).
        assert (await platform.client.get(url, headers=headers["alice"])).status_code == 200

    after = await _row(platform, owners["id"])
    assert (after.rpm_limit, after.models, after.revoked_at, after.expires_at) == (
        before.rpm_limit,
        before.models,
        None,
        None,
    )
    async with platform.sessions() as session:
        assert len((await session.execute(select(ApiKey))).scalars().all()) == 2  # no rotation happened
    assert await chat_status(platform, owners["secret"]) == 200


async def test_members_manage_their_own_and_admins_manage_all(platform: ControlPlaneHarness) -> None:
    _, users, headers = await _people(platform)
    alices = await _key(platform, headers["alice"], name="mine")
    url = f"/api/v1/keys/{alices['id']}"
    changed = await platform.client.patch(url, json={"rpm_limit": 5}, headers=headers["alice"])
    assert changed.status_code == 200 and changed.json()["rpm_limit"] == 5
    rotated = await platform.client.post(f"{url}/rotate", json={"overlap_s": 0}, headers=headers["alice"])
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["created_by"] == users["alice"].id  # a rotation keeps the owner
    new_url = f"/api/v1/keys/{rotated.json()['id']}"
    for manager in ("admin", "owner"):
        limited = await platform.client.patch(new_url, json={"rpm_limit": 1}, headers=headers[manager])
        assert limited.status_code == 200, (manager, limited.text)
    revoked = await platform.client.post(f"{new_url}/revoke", headers=headers["admin"])
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    owners = await _key(platform, headers["owner"])
    by_admin = await platform.client.post(f"/api/v1/keys/{owners['id']}/revoke", headers=headers["admin"])
    assert by_admin.status_code == 200


async def _audit(platform: ControlPlaneHarness, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        listed = await platform.client.get(
            "/api/v1/audit/events", params={"kind": "control_plane", "limit": 200}, headers=headers
        )
        assert listed.status_code == 200, listed.text
        events = [
            e["event"]
            for e in listed.json()["data"]
            if e["event"]["object_type"] == "api_keys" and e["event"]["action"] == "revoke"
        ]
        if len(events) >= count:
            return events
        assert time.monotonic() < deadline, f"{len(events)} revocations audited, not {count}"
        await asyncio.sleep(0.05)


async def test_removing_a_member_revokes_their_keys_on_the_gateway(platform: ControlPlaneHarness) -> None:
    _, users, headers = await _people(platform)
    first = await _key(platform, headers["alice"], name="a1")
    second = await _key(platform, headers["alice"], name="a2")
    bobs = await _key(platform, headers["bob"], name="b")
    owners = await _key(platform, headers["owner"], name="o")
    for key in (first, second, bobs, owners):
        assert await chat_status(platform, key["secret"]) == 200

    members = await platform.client.get("/api/v1/members", headers=headers["admin"])
    [alice] = [m for m in members.json()["data"] if m["email"] == "alice@acme.test"]
    removed = await platform.client.delete(f"/api/v1/members/{alice['id']}", headers=headers["admin"])
    assert removed.status_code == 204, removed.text

    # No reload by hand: the live-config push is what reaches the gateway.
    async def refused() -> bool:
        return all([await chat_status(platform, k["secret"]) == 401 for k in (first, second)])

    await eventually(refused)
    for key in (bobs, owners):
        assert await chat_status(platform, key["secret"]) == 200
    for key in (first, second):
        read = await platform.client.get(f"/api/v1/keys/{key['id']}", headers=headers["owner"])
        assert read.json()["status"] == "revoked"

    audited = await _audit(platform, headers["owner"], 2)
    assert sorted(e["object_id"] for e in audited) == sorted([first["id"], second["id"]])
    assert {e["actor"] for e in audited} == {f"user:{users['admin'].id}"}
