"""``/api/v1/flags`` (a tenant's rules) and ``/api/v1/admin/flags`` (installation-wide), on both
backends: reading, setting, clearing, validation errors, roles, the push to the gateway, the audit."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from tests.platform.harness import ControlPlaneHarness

from trueport.audit.tables import AuditEventRow
from trueport.db.models import ApiKey, Membership, Tenant, User
from trueport.flags.registry import FLAGS, Flag
from trueport.keys.service import create_key
from trueport.platform.live import GenerationStore

URL = "/api/v1/flags"
ADMIN_URL = "/api/v1/admin/flags"
ROLES = ("owner", "admin", "member", "auditor")


@dataclass
class Acme:
    tenant: Tenant
    headers: dict[str, dict[str, str]]  # role -> Authorization header
    key: ApiKey


@pytest.fixture
async def acme(platform: ControlPlaneHarness) -> Acme:
    tenant = await platform.tenant("acme")
    users = {role: User(email=f"{role}@acme.example", password_hash="-") for role in ROLES}
    async with platform.sessions() as session:
        session.add_all(users.values())
        await session.flush()
        session.add_all(Membership(tenant_id=tenant.id, user_id=u.id, role=r) for r, u in users.items())
        key = (await create_key(session, tenant, hmac_secret=platform.platform.key_secret, name="k")).key
        await session.commit()
    return Acme(tenant, {role: platform.auth(user, tenant) for role, user in users.items()}, key)


def admin_headers(platform: ControlPlaneHarness) -> dict[str, str]:
    assert platform.settings.admin_token is not None
    return {"Authorization": f"Bearer {platform.settings.admin_token.get_secret_value()}"}


async def generation(platform: ControlPlaneHarness) -> int:
    async with platform.sessions() as session:
        return await GenerationStore.read(session)


async def eventually(check: Any, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.02)


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {flag["name"]: flag for flag in body["flags"]}


async def test_every_known_flag_is_listed_with_its_default(platform: ControlPlaneHarness, acme: Acme) -> None:
    listed = await platform.client.get(URL, headers=acme.headers["auditor"])
    assert listed.status_code == 200, listed.text
    flags = by_name(listed.json())
    assert set(flags) == {flag.value for flag in FLAGS}
    cache = flags["response_cache"]
    assert cache["default"] is True and cache["tenant"] is None
    assert cache["installation"] == {"enabled": True, "percent": 100.0, "tenants": [], "keys": []}


async def test_a_tenant_rule_reaches_the_gateway_by_push(platform: ControlPlaneHarness, acme: Acme) -> None:
    flags = platform.app.gateway.flags
    assert flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.tenant.id, key_id=acme.key.id)
    start = await generation(platform)
    saved = await platform.client.put(
        f"{URL}/response_cache", json={"enabled": False}, headers=acme.headers["admin"]
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["tenant"] == {"enabled": False, "percent": 100.0, "tenants": [], "keys": []}
    assert await generation(platform) == start + 1
    await eventually(
        lambda: not flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.tenant.id, key_id=acme.key.id)
    )
    assert flags.enabled(Flag.RESPONSE_CACHE, tenant_id="another-tenant", key_id=acme.key.id)

    targeted = await platform.client.put(
        f"{URL}/canary_targets",
        json={"enabled": True, "percent": 0, "keys": [acme.key.id]},
        headers=acme.headers["owner"],
    )
    assert targeted.status_code == 200, targeted.text
    await eventually(lambda: flags.enabled(Flag.CANARY_TARGETS, tenant_id=acme.tenant.id, key_id=acme.key.id))
    assert not flags.enabled(Flag.CANARY_TARGETS, tenant_id=acme.tenant.id, key_id="another-key")

    listed = by_name((await platform.client.get(URL, headers=acme.headers["member"])).json())
    assert listed["canary_targets"]["tenant"]["keys"] == [acme.key.id]

    cleared = await platform.client.delete(f"{URL}/response_cache", headers=acme.headers["admin"])
    assert cleared.status_code == 204
    await eventually(lambda: flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.tenant.id, key_id=acme.key.id))
    assert (
        by_name((await platform.client.get(URL, headers=acme.headers["member"])).json())["response_cache"][
            "tenant"
        ]
        is None
    )


async def test_a_settings_boolean_is_a_tenant_rule_until_cleared(
    platform: ControlPlaneHarness, acme: Acme
) -> None:
    patched = await platform.client.patch(
        "/api/v1/settings", json={"feature_flags": {"response_cache": False}}, headers=acme.headers["admin"]
    )
    assert patched.status_code == 200
    flags = platform.app.gateway.flags
    await eventually(lambda: not flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.tenant.id, key_id="k"))
    listed = by_name((await platform.client.get(URL, headers=acme.headers["member"])).json())
    assert listed["response_cache"]["tenant"]["enabled"] is False
    assert (
        await platform.client.delete(f"{URL}/response_cache", headers=acme.headers["admin"])
    ).status_code == 204
    await eventually(lambda: flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.tenant.id, key_id="k"))
    settings = (await platform.client.get("/api/v1/settings", headers=acme.headers["admin"])).json()
    assert "response_cache" not in settings["feature_flags"]


async def test_invalid_rules_get_clear_errors(platform: ControlPlaneHarness, acme: Acme) -> None:
    headers = acme.headers["admin"]
    unknown = await platform.client.put(f"{URL}/no_such_flag", json={"enabled": True}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_flag"
    assert "response_cache" in unknown.json()["error"]["message"], "the message lists the known flags"
    assert (await platform.client.delete(f"{URL}/no_such_flag", headers=headers)).status_code == 404
    for body in (
        {"enabled": True, "percent": 101},
        {"enabled": True, "percent": -0.5},
        {"enabled": "yes please"},
        {"percent": 30},
        {"enabled": True, "tenants": [acme.tenant.id]},  # installation-wide rules only
    ):
        refused = await platform.client.put(f"{URL}/response_cache", json=body, headers=headers)
        assert refused.status_code == 422, (body, refused.text)
        assert "error" in refused.json()
    foreign = await platform.client.put(
        f"{URL}/response_cache", json={"enabled": True, "keys": ["not-a-key-of-acme"]}, headers=headers
    )
    assert foreign.status_code == 400
    assert foreign.json()["error"]["code"] == "unknown_key"
    assert "not-a-key-of-acme" in foreign.json()["error"]["message"]


async def test_roles(platform: ControlPlaneHarness, acme: Acme) -> None:
    for role in ("member", "auditor"):
        denied = await platform.client.put(
            f"{URL}/response_cache", json={"enabled": False}, headers=acme.headers[role]
        )
        assert denied.status_code == 403, role
    for url in (ADMIN_URL, f"{ADMIN_URL}/response_cache"):
        method = "GET" if url == ADMIN_URL else "PUT"
        refused = await platform.client.request(
            method, url, json={"enabled": True}, headers=acme.headers["owner"]
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "platform_admin_required"


async def test_installation_rules_for_platform_admins(platform: ControlPlaneHarness, acme: Acme) -> None:
    headers = admin_headers(platform)
    listed = by_name((await platform.client.get(ADMIN_URL, headers=headers)).json())
    assert listed["canary_targets"]["stored"] is None
    assert listed["canary_targets"]["effective"]["enabled"] is False
    body = {"enabled": True, "percent": 30, "tenants": [acme.tenant.id]}
    saved = await platform.client.put(f"{ADMIN_URL}/canary_targets", json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["effective"] == {**body, "percent": 30.0, "keys": []}
    flags = platform.app.gateway.flags
    await eventually(lambda: flags.enabled(Flag.CANARY_TARGETS, tenant_id=acme.tenant.id, key_id="any"))
    on = sum(flags.enabled(Flag.CANARY_TARGETS, tenant_id="other", key_id=f"k{n}") for n in range(2_000))
    assert 500 <= on <= 700
    tenant_view = by_name((await platform.client.get(URL, headers=acme.headers["member"])).json())
    assert tenant_view["canary_targets"]["installation"]["percent"] == 30.0

    bad = await platform.client.put(
        f"{ADMIN_URL}/canary_targets", json={"enabled": True, "percent": 250}, headers=headers
    )
    assert bad.status_code == 422
    assert (
        await platform.client.put(f"{ADMIN_URL}/nope", json={"enabled": True}, headers=headers)
    ).status_code == 404

    assert (await platform.client.delete(f"{ADMIN_URL}/canary_targets", headers=headers)).status_code == 204
    await eventually(lambda: not flags.enabled(Flag.CANARY_TARGETS, tenant_id=acme.tenant.id, key_id="any"))
    assert (
        by_name((await platform.client.get(ADMIN_URL, headers=headers)).json())["canary_targets"]["stored"]
        is None
    )


async def test_flag_changes_are_audited(platform: ControlPlaneHarness, acme: Acme) -> None:
    put = await platform.client.put(
        f"{URL}/canary_targets", json={"enabled": True, "percent": 5}, headers=acme.headers["admin"]
    )
    assert put.status_code == 200
    put = await platform.client.put(
        f"{ADMIN_URL}/response_cache", json={"enabled": False}, headers=admin_headers(platform)
    )
    assert put.status_code == 200

    async def bodies() -> bytes:
        async with platform.sessions() as session:
            return b"\n".join(bytes(b) for b in (await session.execute(select(AuditEventRow.body))).scalars())

    deadline = time.monotonic() + 5
    while b"flag:response_cache" not in (found := await bodies()):
        assert time.monotonic() < deadline, "the installation flag change was not audited"
        await asyncio.sleep(0.05)
    assert b"tenant_feature_flags" in found and b"canary_targets" in found
    assert b"installation_settings" in found


async def test_setting_the_same_rule_again_changes_nothing(platform: ControlPlaneHarness, acme: Acme) -> None:
    body = {"enabled": True, "percent": 12.5}
    first = await platform.client.put(f"{URL}/canary_targets", json=body, headers=acme.headers["admin"])
    assert first.status_code == 200
    start = await generation(platform)
    again = await platform.client.put(f"{URL}/canary_targets", json=body, headers=acme.headers["admin"])
    assert again.status_code == 200 and again.json() == first.json()
    admin = admin_headers(platform)
    assert (
        await platform.client.put(f"{ADMIN_URL}/response_cache", json=body, headers=admin)
    ).status_code == 200
    after_admin = await generation(platform)
    assert after_admin == start + 1
    assert (
        await platform.client.put(f"{ADMIN_URL}/response_cache", json=body, headers=admin)
    ).status_code == 200
    assert (
        await platform.client.delete(f"{URL}/response_cache", headers=acme.headers["admin"])
    ).status_code == 204
    assert await generation(platform) == after_admin, "no change, no announcement"
