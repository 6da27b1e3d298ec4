"""``/members``: listing, role changes and removal, the owner rules, and tenant isolation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import Tenant, User

MEMBERS = "/api/v1/members"


@dataclass
class Acme:
    tenant: Tenant
    users: dict[str, User]  # by role name: owner, admin, member, auditor

    def headers(self, platform: ControlPlaneHarness, role: str) -> dict[str, str]:
        return platform.auth(self.users[role], self.tenant)


@pytest.fixture
async def acme(platform: ControlPlaneHarness) -> Acme:
    tenant = await platform.tenant("acme")
    users: dict[str, User] = {}
    for role in ("owner", "admin", "member", "auditor"):
        users[role] = await platform.user(f"{role}@acme.test")
        await platform.member(tenant, users[role], role)
    return Acme(tenant, users)


async def _member_ids(platform: ControlPlaneHarness, acme: Acme) -> dict[str, str]:
    """Membership id by e-mail."""
    listed = await platform.client.get(MEMBERS, headers=acme.headers(platform, "owner"))
    return {row["email"]: row["id"] for row in listed.json()["data"]}


async def test_list_members_with_their_roles_page_by_page(platform: ControlPlaneHarness, acme: Acme) -> None:
    first = await platform.client.get(MEMBERS, params={"limit": 3}, headers=acme.headers(platform, "auditor"))
    assert first.status_code == 200
    page = first.json()
    assert len(page["data"]) == 3 and page["next_cursor"]
    rest = await platform.client.get(
        MEMBERS, params={"limit": 3, "cursor": page["next_cursor"]}, headers=acme.headers(platform, "auditor")
    )
    rows = page["data"] + rest.json()["data"]
    assert rest.json()["next_cursor"] is None
    assert sorted((row["email"], row["role"]) for row in rows) == [
        ("admin@acme.test", "admin"),
        ("auditor@acme.test", "auditor"),
        ("member@acme.test", "member"),
        ("owner@acme.test", "owner"),
    ]
    owner = next(row for row in rows if row["role"] == "owner")
    assert owner["user_id"] == acme.users["owner"].id
    assert owner["name"] == "owner"
    assert set(owner) == {"id", "user_id", "email", "name", "role", "created_at"}
    refused = await platform.client.get(MEMBERS, headers=acme.headers(platform, "member"))
    assert refused.status_code == 403


async def test_admins_manage_members_but_not_owners(platform: ControlPlaneHarness, acme: Acme) -> None:
    ids = await _member_ids(platform, acme)
    admin = acme.headers(platform, "admin")
    promoted = await platform.client.patch(
        f"{MEMBERS}/{ids['member@acme.test']}", headers=admin, json={"role": "admin"}
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin" and promoted.json()["email"] == "member@acme.test"
    for method, path, body in (
        ("PATCH", ids["member@acme.test"], {"role": "owner"}),  # granting owner
        ("PATCH", ids["owner@acme.test"], {"role": "admin"}),  # taking it away
        ("DELETE", ids["owner@acme.test"], None),
    ):
        response = await platform.client.request(method, f"{MEMBERS}/{path}", headers=admin, json=body)
        assert response.status_code == 403, (method, body)
        assert response.json()["error"]["code"] == "permission_denied"
    removed = await platform.client.delete(f"{MEMBERS}/{ids['auditor@acme.test']}", headers=admin)
    assert removed.status_code == 204 and removed.content == b""
    assert "auditor@acme.test" not in await _member_ids(platform, acme)
    # The removed user's token no longer reaches the tenant.
    assert (await platform.client.get(MEMBERS, headers=acme.headers(platform, "auditor"))).status_code == 403


async def test_members_and_auditors_cannot_change_anything(platform: ControlPlaneHarness, acme: Acme) -> None:
    ids = await _member_ids(platform, acme)
    for role in ("member", "auditor"):
        headers = acme.headers(platform, role)
        changed = await platform.client.patch(
            f"{MEMBERS}/{ids['admin@acme.test']}", headers=headers, json={"role": "member"}
        )
        removed = await platform.client.delete(f"{MEMBERS}/{ids['admin@acme.test']}", headers=headers)
        assert changed.status_code == removed.status_code == 403


async def test_owners_grant_the_owner_role_and_a_tenant_keeps_one(
    platform: ControlPlaneHarness, acme: Acme
) -> None:
    ids = await _member_ids(platform, acme)
    owner = acme.headers(platform, "owner")
    for attempt in (
        platform.client.patch(f"{MEMBERS}/{ids['owner@acme.test']}", headers=owner, json={"role": "admin"}),
        platform.client.delete(f"{MEMBERS}/{ids['owner@acme.test']}", headers=owner),
    ):
        response = await attempt
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "last_owner"
    kept = await platform.client.patch(
        f"{MEMBERS}/{ids['owner@acme.test']}", headers=owner, json={"role": "owner"}
    )
    assert kept.status_code == 200  # an owner staying owner is no change
    granted = await platform.client.patch(
        f"{MEMBERS}/{ids['admin@acme.test']}", headers=owner, json={"role": "owner"}
    )
    assert granted.status_code == 200
    stepped_down = await platform.client.patch(
        f"{MEMBERS}/{ids['owner@acme.test']}", headers=owner, json={"role": "member"}
    )
    assert stepped_down.status_code == 200
    new_owner = acme.headers(platform, "admin")
    last = await platform.client.delete(f"{MEMBERS}/{ids['admin@acme.test']}", headers=new_owner)
    assert last.status_code == 409


async def test_another_tenants_members_are_not_found(platform: ControlPlaneHarness, acme: Acme) -> None:
    other = await platform.tenant("other")
    boss, stranger = await platform.user("boss@other.test"), await platform.user("stranger@other.test")
    await platform.member(other, boss, "owner")
    await platform.member(other, stranger, "member")
    theirs = (await platform.client.get(MEMBERS, headers=platform.auth(boss, other))).json()["data"]
    owner = acme.headers(platform, "owner")
    for member_id in [row["id"] for row in theirs] + ["not-a-uuid", "00000000-0000-4000-8000-000000000000"]:
        changed = await platform.client.patch(
            f"{MEMBERS}/{member_id}", headers=owner, json={"role": "auditor"}
        )
        removed = await platform.client.delete(f"{MEMBERS}/{member_id}", headers=owner)
        assert changed.status_code == removed.status_code == 404, member_id
        assert changed.json()["error"]["code"] == "member_not_found"
    assert sorted(
        row["role"]
        for row in (await platform.client.get(MEMBERS, headers=platform.auth(boss, other))).json()["data"]
    ) == ["member", "owner"]


async def test_an_unknown_role_is_refused(platform: ControlPlaneHarness, acme: Acme) -> None:
    ids = await _member_ids(platform, acme)
    response = await platform.client.patch(
        f"{MEMBERS}/{ids['member@acme.test']}", headers=acme.headers(platform, "owner"), json={"role": "root"}
    )
    assert response.status_code == 422
