"""``/api/v1/settings``: reading and merging a tenant's settings and feature flags, on both backends."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import Membership, Tenant, User
from trueport.platform.live import GenerationStore
from trueport.platform.tenant_settings.service import flags_for

URL = "/api/v1/settings"
EMPTY = {"settings": {}, "feature_flags": {}, "updated_at": None}
ROLES = ("owner", "admin", "member", "auditor")


@dataclass
class Acme:
    tenant: Tenant
    headers: dict[str, dict[str, str]]  # role -> Authorization header


@pytest.fixture
async def acme(platform: ControlPlaneHarness) -> Acme:
    """Tenant ``acme`` with one user per role, seeded in one transaction (they never log in, so no
    password is hashed: that is what keeps this file fast)."""
    tenant = await platform.tenant("acme")
    users = {role: User(email=f"{role}@acme.example", password_hash="-") for role in ROLES}
    async with platform.sessions() as session:
        session.add_all(users.values())
        await session.flush()
        session.add_all(Membership(tenant_id=tenant.id, user_id=u.id, role=r) for r, u in users.items())
        await session.commit()
    return Acme(tenant, {role: platform.auth(user, tenant) for role, user in users.items()})


async def patch(platform: ControlPlaneHarness, acme: Acme, body: Any, role: str = "admin") -> Any:
    response = await platform.client.patch(URL, json=body, headers=acme.headers[role])
    assert response.status_code == 200, response.text
    return response.json()


async def generation(platform: ControlPlaneHarness) -> int:
    async with platform.sessions() as session:
        return await GenerationStore.read(session)


async def test_patch_merges_and_get_reads_back(platform: ControlPlaneHarness, acme: Acme) -> None:
    assert (await platform.client.get(URL, headers=acme.headers["member"])).json() == EMPTY
    async with platform.sessions() as session:
        assert await flags_for(session, acme.tenant.id) == {}
    start = await generation(platform)
    before = datetime.now(UTC)
    body = {
        "settings": {"ui.theme": "dark", "a": 1, "b": [1, 2], "alerts": {"to": ["a@b.c"], "at": 0.8}},
        "feature_flags": {"playground": True, "beta.responses_api": False},
    }
    saved = await patch(platform, acme, body)
    assert (saved["settings"], saved["feature_flags"]) == (body["settings"], body["feature_flags"])
    assert saved["updated_at"].endswith("Z")
    updated = datetime.fromisoformat(saved["updated_at"])
    assert before - timedelta(seconds=1) <= updated <= datetime.now(UTC) + timedelta(seconds=1)
    assert (await platform.client.get(URL, headers=acme.headers["auditor"])).json() == saved
    assert await generation(platform) == start + 1, "a write must reach the gateways"

    merged = await patch(
        platform,
        acme,
        {
            "settings": {"a": None, "b": {"n": None}, "d": False, "never.set": None},
            "feature_flags": {"beta.responses_api": None, "z": False},
        },
    )
    assert merged["settings"] == {
        "ui.theme": "dark",
        "b": {"n": None},
        "alerts": body["settings"]["alerts"],
        "d": False,
    }
    assert merged["feature_flags"] == {"playground": True, "z": False}
    assert datetime.fromisoformat(merged["updated_at"]) >= updated
    async with platform.sessions() as session:
        assert await flags_for(session, acme.tenant.id) == {"playground": True, "z": False}

    # Changing nothing writes nothing and announces nothing.
    assert await patch(platform, acme, {"feature_flags": {"z": False}, "settings": {"gone": None}}) == merged
    assert await patch(platform, acme, {}) == merged
    assert await generation(platform) == start + 2


async def test_tenants_see_only_their_own(platform: ControlPlaneHarness, acme: Acme) -> None:
    await patch(platform, acme, {"settings": {"secret.plan": "enterprise"}, "feature_flags": {"f": True}})
    globex = await platform.tenant("globex")
    user = await platform.user("owner@globex.example")
    await platform.member(globex, user, "owner")
    theirs = platform.auth(user, globex)
    assert (await platform.client.get(URL, headers=theirs)).json() == EMPTY
    response = await platform.client.patch(URL, json={"settings": {"x": 1}}, headers=theirs)
    assert response.json()["settings"] == {"x": 1}
    mine = await platform.client.get(URL, headers=acme.headers["owner"])
    assert mine.json()["settings"] == {"secret.plan": "enterprise"}
    async with platform.sessions() as session:
        assert await flags_for(session, globex.id) == {}


async def test_roles(platform: ControlPlaneHarness, acme: Acme) -> None:
    for role in ("owner", "admin"):
        assert (await patch(platform, acme, {"feature_flags": {role: True}}, role))["feature_flags"][role]
    expected = (await platform.client.get(URL, headers=acme.headers["owner"])).json()
    for role in ("member", "auditor"):
        assert (await platform.client.get(URL, headers=acme.headers[role])).json() == expected
        for body in ({"feature_flags": {"f": True}}, {"bogus": 1}):  # invalid or not, the role decides
            response = await platform.client.patch(URL, json=body, headers=acme.headers[role])
            assert response.status_code == 403, (role, body)
            assert response.json()["error"]["code"] == "permission_denied"
    stranger = await platform.user("eve@evil.example")
    response = await platform.client.get(URL, headers=platform.auth(stranger, acme.tenant))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_member"
    assert (await platform.client.patch(URL, json={"settings": {"a": 1}})).status_code == 401
    assert (await platform.client.get(URL, headers=acme.headers["owner"])).json() == expected


INVALID: list[Any] = [
    {"settings": {"Upper": 1}},
    {"settings": {"1st": 1}},
    {"settings": {"": 1}},
    {"settings": {"a" * 65: 1}},
    {"settings": {"with space": 1}},
    {"settings": {"é": 1}},
    {"feature_flags": {"_leading": True}},
    {"feature_flags": {"flag": "true"}},
    {"feature_flags": {"flag": 1}},
    {"feature_flags": {"flag": {"on": True}}},
    {"settings": [["a", 1]]},
    {"settings": "a=1"},
    {"settings": {"a": 1}, "extra": True},
    {"settings": {f"k{i}": i for i in range(101)}},
    {"feature_flags": {f"f{i}": True for i in range(101)}},
    ["settings"],
    # Not storable as JSON (PostgreSQL or orjson would refuse them later): sent as raw bytes.
    b'{"settings": {"a": NaN}}',
    b'{"settings": {"a": {"b": [Infinity]}}}',
    b'{"settings": {"a": 1e400}}',
    b'{"settings": {"a": 123456789012345678901234567890}}',
    b'{"settings": {"a": "\\ud800"}}',
]


async def test_invalid_patches_are_422(platform: ControlPlaneHarness, acme: Acme) -> None:
    for body in INVALID:
        headers = acme.headers["admin"] | {"content-type": "application/json"}
        if isinstance(body, bytes):
            response = await platform.client.patch(URL, content=body, headers=headers)
        else:
            response = await platform.client.patch(URL, json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_failed"
    assert (await platform.client.get(URL, headers=acme.headers["admin"])).json() == EMPTY


async def test_bounds_on_names_and_counts(platform: ControlPlaneHarness, acme: Acme) -> None:
    name = "a" + "z0_.-" * 12 + "bcd"  # 64 characters, every allowed kind
    assert len(name) == 64
    assert (await patch(platform, acme, {"settings": {name: 1}}))["settings"] == {name: 1}
    full = await patch(platform, acme, {"feature_flags": {f"f{i}": True for i in range(100)}})
    assert len(full["feature_flags"]) == 100
    await patch(platform, acme, {"settings": {f"a{i}": i for i in range(59)}})  # 60 with `name`
    for body, code in (
        ({"settings": {f"b{i}": i for i in range(41)}}, "too_many_settings"),
        ({"feature_flags": {"one.more": True}}, "too_many_feature_flags"),
    ):
        response = await platform.client.patch(URL, json=body, headers=acme.headers["admin"])
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == code
    # Replacing while deleting stays within the bound.
    swap = {f"a{i}": None for i in range(40)} | {f"b{i}": i for i in range(40)}
    assert len((await patch(platform, acme, {"settings": swap}))["settings"]) == 60
    assert (
        len((await patch(platform, acme, {"feature_flags": {"f0": None, "g": True}}))["feature_flags"]) == 100
    )


async def test_settings_over_16_kib_are_400(platform: ControlPlaneHarness, acme: Acme) -> None:
    await patch(platform, acme, {"settings": {"a": "x" * 8000}})
    start = await generation(platform)
    response = await platform.client.patch(
        URL, json={"settings": {"b": "y" * 8400}}, headers=acme.headers["admin"]
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "settings_too_large"
    after = (await platform.client.get(URL, headers=acme.headers["admin"])).json()
    assert after["settings"] == {"a": "x" * 8000}
    assert await generation(platform) == start
    fits = {"b": "y" * (16 * 1024 - 8000 - len('{"a":"","b":""}'))}  # exactly 16 KiB encoded
    assert (await patch(platform, acme, {"settings": fits}))["settings"]["b"] == fits["b"]
    over = await platform.client.patch(URL, json={"settings": {"c": 0}}, headers=acme.headers["admin"])
    assert over.json()["error"]["code"] == "settings_too_large"


async def test_concurrent_patches_lose_nothing(platform: ControlPlaneHarness, acme: Acme) -> None:
    async def one(i: int) -> int:
        response = await platform.client.patch(
            URL, json={"settings": {f"k{i}": i}}, headers=acme.headers["admin"]
        )
        return response.status_code

    # First writes race to create the row: each either applies or is told to retry (409).
    first = await asyncio.gather(*(one(i) for i in range(4)))
    assert set(first) <= {200, 409} and 200 in first
    applied = {f"k{i}": i for i, status in enumerate(first) if status == 200}
    assert (await platform.client.get(URL, headers=acme.headers["admin"])).json()["settings"] == applied
    # Merges into the existing row all apply.
    assert await asyncio.gather(*(one(i) for i in range(4, 12))) == [200] * 8
    final = (await platform.client.get(URL, headers=acme.headers["admin"])).json()["settings"]
    assert final == applied | {f"k{i}": i for i in range(4, 12)}
