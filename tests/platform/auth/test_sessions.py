"""Sessions: refresh-token rotation and reuse detection, logout, and binding a session to a tenant."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from tests.platform.auth.signin import bearer, signed_in
from tests.platform.harness import PASSWORD, ControlPlaneHarness

from trueport.db.models import RefreshToken, Tenant

REFRESH = "/api/v1/auth/refresh"


async def _refresh(platform: ControlPlaneHarness, token: str) -> httpx.Response:
    return await platform.client.post(REFRESH, json={"refresh_token": token})


async def test_refresh_rotates_the_token(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    first = await signed_in(platform, "alice@acme.test", PASSWORD)
    second = await _refresh(platform, first["refresh_token"])
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert (
        await platform.client.get("/api/v1/users/me", headers=bearer(pair["access_token"]))
    ).status_code == 200
    third = await _refresh(platform, pair["refresh_token"])
    assert third.status_code == 200
    async with platform.sessions() as session:
        rows = (await session.execute(select(RefreshToken).order_by(RefreshToken.created_at))).scalars().all()
    assert len({row.family_id for row in rows}) == 1
    assert [row.used_at is not None for row in rows] == [True, True, False]


async def test_reusing_a_used_refresh_token_ends_the_whole_session(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    stolen = (await signed_in(platform, "alice@acme.test", PASSWORD))["refresh_token"]
    legitimate = (await _refresh(platform, stolen)).json()["refresh_token"]
    replay = await _refresh(platform, stolen)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    # The revocation was committed despite the error: the newest token of the family is dead too.
    after = await _refresh(platform, legitimate)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "invalid_refresh_token"
    # Another session of the same user is untouched.
    other = await signed_in(platform, "alice@acme.test", PASSWORD)
    assert (await _refresh(platform, other["refresh_token"])).status_code == 200


async def test_two_refreshes_with_the_same_token_at_once_give_one_pair(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    token = (await signed_in(platform, "alice@acme.test", PASSWORD))["refresh_token"]
    results = await asyncio.gather(*(_refresh(platform, token) for _ in range(4)))
    assert sorted(r.status_code for r in results).count(200) <= 1
    assert all(r.status_code in (200, 401) for r in results)


async def test_unknown_and_expired_refresh_tokens_are_refused(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    unknown = await _refresh(platform, "A" * 43)
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == "invalid_refresh_token"
    token = (await signed_in(platform, "alice@acme.test", PASSWORD))["refresh_token"]
    async with platform.sessions() as session:
        await session.execute(
            update(RefreshToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    expired = await _refresh(platform, token)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "refresh_token_expired"


async def test_logout_ends_that_session_only(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    laptop = await signed_in(platform, "alice@acme.test", PASSWORD)
    phone = await signed_in(platform, "alice@acme.test", PASSWORD)
    out = await platform.client.post(
        "/api/v1/auth/logout",
        headers=bearer(laptop["access_token"]),
        json={"refresh_token": laptop["refresh_token"]},
    )
    assert out.status_code == 204 and out.content == b""
    assert (await _refresh(platform, laptop["refresh_token"])).status_code == 401
    assert (await _refresh(platform, phone["refresh_token"])).status_code == 200


async def test_logout_everywhere_ends_every_session(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    laptop = await signed_in(platform, "alice@acme.test", PASSWORD)
    phone = await signed_in(platform, "alice@acme.test", PASSWORD)
    out = await platform.client.post(
        "/api/v1/auth/logout",
        headers=bearer(laptop["access_token"]),
        json={"refresh_token": laptop["refresh_token"], "everywhere": True},
    )
    assert out.status_code == 204
    assert (await _refresh(platform, phone["refresh_token"])).status_code == 401
    me = await platform.client.get("/api/v1/users/me", headers=bearer(phone["access_token"]))
    assert me.status_code == 401


async def test_logout_cannot_end_someone_elses_session(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    await platform.user("mallory@acme.test")
    alice = await signed_in(platform, "alice@acme.test", PASSWORD)
    mallory = await signed_in(platform, "mallory@acme.test", PASSWORD)
    out = await platform.client.post(
        "/api/v1/auth/logout",
        headers=bearer(mallory["access_token"]),
        json={"refresh_token": alice["refresh_token"]},
    )
    assert out.status_code == 204
    assert (await _refresh(platform, alice["refresh_token"])).status_code == 200


async def test_logout_needs_an_access_token(platform: ControlPlaneHarness) -> None:
    response = await platform.client.post("/api/v1/auth/logout", json={"refresh_token": "A" * 43})
    assert response.status_code == 401


async def test_my_tenants_and_selecting_one(platform: ControlPlaneHarness) -> None:
    acme, beta, other = (
        await platform.tenant("acme"),
        await platform.tenant("beta"),
        await platform.tenant("other"),
    )
    user = await platform.user("alice@acme.test")
    await platform.member(acme, user, "owner")
    await platform.member(beta, user, "auditor")
    off = await platform.tenant("off")
    await platform.member(off, user, "admin")
    async with platform.sessions() as session:
        row = await session.get(Tenant, off.id)
        assert row is not None
        row.disabled_at = datetime.now(UTC)
        await session.commit()
    pair = await signed_in(platform, "alice@acme.test", PASSWORD)
    headers = bearer(pair["access_token"])
    listed = await platform.client.get("/api/v1/auth/tenants", headers=headers)
    assert listed.status_code == 200
    assert listed.json() == [
        {"id": acme.id, "slug": "acme", "name": "acme", "role": "owner"},
        {"id": beta.id, "slug": "beta", "name": "beta", "role": "auditor"},
    ]
    # Unbound, the tenant-scoped API asks for a tenant.
    assert (await platform.client.get("/api/v1/members", headers=headers)).status_code == 400

    by_slug = await platform.client.post(
        "/api/v1/auth/select-tenant", headers=headers, json={"tenant": "acme"}
    )
    assert by_slug.status_code == 200, by_slug.text
    assert by_slug.json()["tenant_id"] == acme.id
    assert platform.platform.tokens.decode(by_slug.json()["access_token"]).tenant_id == acme.id
    members = await platform.client.get("/api/v1/members", headers=bearer(by_slug.json()["access_token"]))
    assert members.status_code == 200
    by_id = await platform.client.post(
        "/api/v1/auth/select-tenant", headers=headers, json={"tenant": beta.id}
    )
    assert by_id.json()["tenant_id"] == beta.id

    # The binding survives a refresh.
    refreshed = await _refresh(platform, by_slug.json()["refresh_token"])
    assert refreshed.json()["tenant_id"] == acme.id
    assert platform.platform.tokens.decode(refreshed.json()["access_token"]).tenant_id == acme.id

    # Foreign, unknown, disabled and malformed tenants get one and the same answer.
    answers = [
        await platform.client.post("/api/v1/auth/select-tenant", headers=headers, json={"tenant": name})
        for name in (
            "other",
            other.id,
            "no-such-tenant",
            "off",
            "NOT A SLUG",
            "00000000-0000-4000-8000-000000000000",
        )
    ]
    assert {(a.status_code, a.json()["error"]["code"]) for a in answers} == {(403, "not_a_member")}


async def test_a_refresh_drops_the_tenant_once_the_membership_is_gone(platform: ControlPlaneHarness) -> None:
    acme = await platform.tenant("acme")
    user = await platform.user("alice@acme.test")
    owner = await platform.user("owner@acme.test")
    await platform.member(acme, owner, "owner")
    await platform.member(acme, user, "member")
    pair = await signed_in(platform, "alice@acme.test", PASSWORD)
    bound = (
        await platform.client.post(
            "/api/v1/auth/select-tenant", headers=bearer(pair["access_token"]), json={"tenant": "acme"}
        )
    ).json()
    members = (await platform.client.get("/api/v1/members", headers=platform.auth(owner, acme))).json()[
        "data"
    ]
    alice = next(m for m in members if m["email"] == "alice@acme.test")
    removed = await platform.client.delete(
        f"/api/v1/members/{alice['id']}", headers=platform.auth(owner, acme)
    )
    assert removed.status_code == 204
    refreshed = await _refresh(platform, bound["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["tenant_id"] is None
    assert platform.platform.tokens.decode(refreshed.json()["access_token"]).tenant_id is None
