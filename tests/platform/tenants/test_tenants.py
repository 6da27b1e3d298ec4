"""``/tenants``: platform admins create, list, read, edit and disable tenants; nobody else may."""

from __future__ import annotations

import pytest
from tests.platform.auth.signin import link_token
from tests.platform.harness import ControlPlaneHarness
from tests.platform.keys.calls import chat_status, eventually

from support.smtp import SmtpSink, body_text
from trueport.platform.live import GenerationStore

TENANTS = "/api/v1/tenants"


@pytest.fixture
async def admin(platform: ControlPlaneHarness) -> dict[str, str]:
    return platform.auth(await platform.user("ops@installation.test", platform_admin=True))


async def test_create_read_and_list(platform: ControlPlaneHarness, admin: dict[str, str]) -> None:
    created = await platform.client.post(
        TENANTS, headers=admin, json={"slug": "acme", "name": "Acme Corp", "rpm_limit": 600}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["slug"] == "acme" and body["name"] == "Acme Corp" and body["rpm_limit"] == 600
    assert body["tpm_limit"] is None and body["disabled"] is False and body["owner_invitation"] is None
    read = await platform.client.get(f"{TENANTS}/{body['id']}", headers=admin)
    assert read.status_code == 200 and read.json()["slug"] == "acme"
    for slug in ("beta", "gamma"):
        assert (
            await platform.client.post(TENANTS, headers=admin, json={"slug": slug, "name": slug})
        ).status_code == 201
    first = (await platform.client.get(TENANTS, headers=admin, params={"limit": 2})).json()
    rest = (
        await platform.client.get(TENANTS, headers=admin, params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [t["slug"] for t in first["data"] + rest["data"]] == ["acme", "beta", "gamma"]
    assert rest["next_cursor"] is None


async def test_bad_and_duplicate_slugs(platform: ControlPlaneHarness, admin: dict[str, str]) -> None:
    assert (
        await platform.client.post(TENANTS, headers=admin, json={"slug": "acme", "name": "A"})
    ).status_code == 201
    duplicate = await platform.client.post(TENANTS, headers=admin, json={"slug": "acme", "name": "Other"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "slug_taken"
    for body in (
        {"slug": "Not A Slug", "name": "x"},
        {"slug": "-acme", "name": "x"},
        {"slug": "a" * 64, "name": "x"},
        {"slug": "ok", "name": "x", "rpm_limit": 0},
        {"slug": "ok", "name": ""},
        {"slug": "ok", "name": "x", "owner_email": "nobody"},
        {"slug": "ok", "name": "x", "unknown": 1},
    ):
        assert (await platform.client.post(TENANTS, headers=admin, json=body)).status_code == 422, body


async def test_creating_with_an_owner_invites_them(
    platform: ControlPlaneHarness, smtp: SmtpSink, admin: dict[str, str]
) -> None:
    created = await platform.client.post(
        TENANTS, headers=admin, json={"slug": "acme", "name": "Acme Corp", "owner_email": "alice@acme.test"}
    )
    assert created.status_code == 201
    invitation = created.json()["owner_invitation"]
    assert invitation["email"] == "alice@acme.test" and invitation["email_sent"] is True
    token = link_token(body_text(await smtp.wait_for("alice@acme.test")), "accept-invitation")
    accepted = await platform.client.post(
        "/api/v1/auth/invitations/accept",
        json={"token": token, "name": "Alice", "password": "alice's passphrase"},
    )
    assert accepted.json()["role"] == "owner" and accepted.json()["tenant_slug"] == "acme"


async def test_the_operator_token_manages_tenants_too(platform: ControlPlaneHarness, smtp: SmtpSink) -> None:
    assert platform.settings.admin_token is not None
    operator = {"Authorization": f"Bearer {platform.settings.admin_token.get_secret_value()}"}
    created = await platform.client.post(
        TENANTS, headers=operator, json={"slug": "acme", "name": "Acme", "owner_email": "alice@acme.test"}
    )
    assert created.status_code == 201
    assert "You have been invited" in body_text(await smtp.wait_for("alice@acme.test"))


async def test_only_platform_admins(platform: ControlPlaneHarness, admin: dict[str, str]) -> None:
    tenant = await platform.tenant("acme")
    owner = await platform.user("owner@acme.test")
    await platform.member(tenant, owner, "owner")
    headers = platform.auth(owner, tenant)
    for method, path, body in (
        ("GET", TENANTS, None),
        ("POST", TENANTS, {"slug": "mine", "name": "Mine"}),
        ("GET", f"{TENANTS}/{tenant.id}", None),
        ("PATCH", f"{TENANTS}/{tenant.id}", {"rpm_limit": 10**6}),
    ):
        response = await platform.client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "platform_admin_required"
        assert (await platform.client.request(method, path, json=body)).status_code == 401


async def test_unknown_tenants_are_not_found(platform: ControlPlaneHarness, admin: dict[str, str]) -> None:
    for tenant_id in ("00000000-0000-4000-8000-000000000000", "acme", "not a uuid"):
        assert (await platform.client.get(f"{TENANTS}/{tenant_id}", headers=admin)).status_code == 404
        patched = await platform.client.patch(f"{TENANTS}/{tenant_id}", headers=admin, json={"name": "x"})
        assert patched.status_code == 404
        assert patched.json()["error"]["code"] == "tenant_not_found"


async def test_edit_limits_and_names(platform: ControlPlaneHarness, admin: dict[str, str]) -> None:
    tenant = (
        await platform.client.post(
            TENANTS, headers=admin, json={"slug": "acme", "name": "Acme", "rpm_limit": 5}
        )
    ).json()
    async with platform.sessions() as session:
        before = await GenerationStore.read(session)
    renamed = await platform.client.patch(
        f"{TENANTS}/{tenant['id']}", headers=admin, json={"name": "Acme Corp", "tpm_limit": 1000}
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["rpm_limit"], renamed.json()["tpm_limit"]) == (
        "Acme Corp",
        5,
        1000,
    )
    cleared = await platform.client.patch(
        f"{TENANTS}/{tenant['id']}", headers=admin, json={"rpm_limit": None}
    )
    assert cleared.json()["rpm_limit"] is None and cleared.json()["tpm_limit"] == 1000
    async with platform.sessions() as session:
        assert await GenerationStore.read(session) == before + 2  # each change announced to the gateways
    refused = await platform.client.patch(f"{TENANTS}/{tenant['id']}", headers=admin, json={"slug": "other"})
    assert refused.status_code == 422


async def test_disabling_a_tenant_stops_its_keys_and_members(
    platform: ControlPlaneHarness, admin: dict[str, str]
) -> None:
    tenant = await platform.tenant("acme")
    owner = await platform.user("owner@acme.test")
    await platform.member(tenant, owner, "owner")
    headers = platform.auth(owner, tenant)
    key = await platform.client.post("/api/v1/keys", headers=headers, json={"name": "app"})
    assert key.status_code == 201, key.text
    secret = key.json()["secret"]

    async def chat_is(status: int) -> bool:
        return await chat_status(platform, secret) == status

    await eventually(lambda: chat_is(200))
    disabled = await platform.client.patch(f"{TENANTS}/{tenant.id}", headers=admin, json={"disabled": True})
    assert disabled.status_code == 200
    assert disabled.json()["disabled"] is True and disabled.json()["disabled_at"] is not None
    await eventually(lambda: chat_is(401))
    members = await platform.client.get("/api/v1/members", headers=headers)
    assert members.status_code == 403
    assert members.json()["error"]["code"] == "tenant_unavailable"

    enabled = await platform.client.patch(f"{TENANTS}/{tenant.id}", headers=admin, json={"disabled": False})
    assert enabled.json()["disabled"] is False and enabled.json()["disabled_at"] is None
    await eventually(lambda: chat_is(200))
    assert (await platform.client.get("/api/v1/members", headers=headers)).status_code == 200
