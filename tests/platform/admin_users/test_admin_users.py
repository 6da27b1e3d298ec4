"""``/admin/users``: platform admins list, disable and enable users and grant or revoke platform admin;
every change is audited, the last platform admin is kept, and nobody else may do any of it."""

from __future__ import annotations

import pytest
from tests.platform.auth.signin import login
from tests.platform.harness import PASSWORD, ControlPlaneHarness
from tests.platform.reviews.test_review_loop import audited_changes

from trueport.db.models import User

USERS = "/api/v1/admin/users"


@pytest.fixture
async def ops(platform: ControlPlaneHarness) -> User:
    return await platform.user("ops@installation.test", platform_admin=True)


async def test_lists_pages_and_searches(platform: ControlPlaneHarness, ops: User) -> None:
    for name in ("alice@acme.test", "bob@acme.test", "carol_x@globex.test"):
        await platform.user(name)
    admin = platform.auth(ops)
    first = await platform.client.get(USERS, headers=admin, params={"limit": 2})
    assert first.status_code == 200, first.text
    rest = await platform.client.get(
        USERS, headers=admin, params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    emails = [u["email"] for u in first.json()["data"] + rest.json()["data"]]
    assert emails == ["ops@installation.test", "alice@acme.test", "bob@acme.test", "carol_x@globex.test"]
    assert rest.json()["next_cursor"] is None
    assert "password_hash" not in first.json()["data"][0]
    found = await platform.client.get(USERS, headers=admin, params={"search": "ACME"})
    assert [u["email"] for u in found.json()["data"]] == ["alice@acme.test", "bob@acme.test"]
    # LIKE wildcards in the search are taken literally.
    underscore = await platform.client.get(USERS, headers=admin, params={"search": "_x"})
    assert [u["email"] for u in underscore.json()["data"]] == ["carol_x@globex.test"]
    assert (await platform.client.get(USERS, headers=admin, params={"search": "%"})).json()["data"] == []


async def test_disabling_ends_sessions_and_sign_ins_until_enabled(
    platform: ControlPlaneHarness, ops: User
) -> None:
    alice = await platform.user("alice@acme.test")
    admin, as_alice = platform.auth(ops), platform.auth(alice)
    assert (await platform.client.get("/api/v1/users/me", headers=as_alice)).status_code == 200
    disabled = await platform.client.post(f"{USERS}/{alice.id}/disable", headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled"] is True and disabled.json()["disabled_at"] is not None
    assert (await platform.client.get("/api/v1/users/me", headers=as_alice)).status_code == 401
    assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 401
    again = await platform.client.post(f"{USERS}/{alice.id}/disable", headers=admin)
    assert again.status_code == 200 and again.json()["disabled_at"] == disabled.json()["disabled_at"]
    enabled = await platform.client.post(f"{USERS}/{alice.id}/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 200
    actions = [(e["action"], e["object_id"], e["actor"]) for e in await audited_changes(platform, "users")]
    assert ("disable", alice.id, f"user:{ops.id}") in actions


async def test_grant_and_revoke_platform_admin(platform: ControlPlaneHarness, ops: User) -> None:
    bob = await platform.user("bob@acme.test")
    admin = platform.auth(ops)
    assert (await platform.client.get(USERS, headers=platform.auth(bob))).status_code == 403
    granted = await platform.client.put(f"{USERS}/{bob.id}/platform-admin", headers=admin)
    assert granted.status_code == 200 and granted.json()["is_platform_admin"] is True
    assert (await platform.client.get(USERS, headers=platform.auth(bob))).status_code == 200
    revoked = await platform.client.delete(f"{USERS}/{bob.id}/platform-admin", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["is_platform_admin"] is False
    assert (await platform.client.get(USERS, headers=platform.auth(bob))).status_code == 403
    changes = [e for e in await audited_changes(platform, "users") if e["object_id"] == bob.id]
    assert changes and changes[0]["after"] == {"is_platform_admin": True}


async def test_the_last_platform_admin_is_kept(platform: ControlPlaneHarness, ops: User) -> None:
    admin = platform.auth(ops)
    for method, path in (("DELETE", "platform-admin"), ("POST", "disable")):
        refused = await platform.client.request(method, f"{USERS}/{ops.id}/{path}", headers=admin)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "last_platform_admin"
    other = await platform.user("second@installation.test", platform_admin=True)
    # A disabled admin does not count: the last enabled one is still kept.
    assert (await platform.client.post(f"{USERS}/{other.id}/disable", headers=admin)).status_code == 200
    assert (
        await platform.client.delete(f"{USERS}/{ops.id}/platform-admin", headers=admin)
    ).status_code == 409
    assert (await platform.client.post(f"{USERS}/{other.id}/enable", headers=admin)).status_code == 200
    revoked = await platform.client.delete(f"{USERS}/{ops.id}/platform-admin", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["is_platform_admin"] is False


async def test_unknown_and_malformed_ids(platform: ControlPlaneHarness, ops: User) -> None:
    admin = platform.auth(ops)
    for user_id in ("0b7c3f5e-8d2a-4c61-9e0f-5a1b2c3d4e5f", "not-an-id"):
        missing = await platform.client.post(f"{USERS}/{user_id}/enable", headers=admin)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "user_not_found"


async def test_a_tenant_owner_is_refused_every_admin_route(platform: ControlPlaneHarness, ops: User) -> None:
    tenant = await platform.tenant("acme")
    owner = await platform.user("owner@acme.test")
    await platform.member(tenant, owner, "owner")
    headers = platform.auth(owner, tenant)
    for method, path in (
        ("GET", USERS),
        ("POST", f"{USERS}/{ops.id}/disable"),
        ("POST", f"{USERS}/{ops.id}/enable"),
        ("PUT", f"{USERS}/{owner.id}/platform-admin"),
        ("DELETE", f"{USERS}/{ops.id}/platform-admin"),
        ("GET", "/api/v1/admin/outbox"),
        ("GET", "/api/v1/admin/providers/health"),
        ("GET", "/api/v1/admin/usage"),
        ("POST", "/api/v1/admin/master-key/rewrap"),
    ):
        refused = await platform.client.request(method, path, headers=headers)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["error"]["code"] == "platform_admin_required"
    assert (await platform.client.get(USERS)).status_code == 401
