"""``/credentials``: a tenant's own provider accounts; the API key is sealed and never shown again."""

from __future__ import annotations

import logging

import pytest
import structlog
from sqlalchemy import select
from tests.gateway.harness import PROVIDER_KEY
from tests.platform.credentials.seed import emulator_credential, member_of
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import ProviderCredential
from trueport.mockprovider import MockProvider
from trueport.platform.credentials.sealing import open_api_key
from trueport.platform.live import GenerationStore

SECRET = "sk-byok-3f9a1c7e5b2d4680aa17"


async def _row(platform: ControlPlaneHarness, credential_id: str) -> ProviderCredential:
    async with platform.sessions() as session:
        row = (
            await session.execute(select(ProviderCredential).where(ProviderCredential.id == credential_id))
        ).scalar_one()
    return row


async def _generation(platform: ControlPlaneHarness) -> int:
    async with platform.sessions() as session:
        return await GenerationStore.read(session)


async def test_create_list_get_never_show_the_secret(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    before = await _generation(platform)
    body = emulator_credential(platform, "openai-prod", api_key=SECRET)
    created = await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)
    assert created.status_code == 201, created.text
    out = created.json()
    assert set(out) == {
        "id", "name", "type", "base_url", "api_version", "region", "secret_hint", "master_key_id", "created_at",
        "updated_at",
    }  # fmt: skip
    assert out["name"] == "openai-prod" and out["type"] == "openai"
    assert out["secret_hint"] == "…" + SECRET[-4:]
    assert out["master_key_id"] == "k1"
    assert await _generation(platform) == before + 1  # the gateways are told

    listed = await platform.client.get("/api/v1/credentials", headers=acme.headers)
    one = await platform.client.get(f"/api/v1/credentials/{out['id']}", headers=acme.headers)
    assert listed.json() == {"data": [out], "next_cursor": None}
    assert one.json() == out
    for response in (created, listed, one):
        assert SECRET not in response.text and SECRET[:-4] not in response.text

    row = await _row(platform, out["id"])
    assert SECRET.encode() not in row.ciphertext + row.wrapped_key
    assert open_api_key(platform.platform.envelope, row).get_secret_value() == SECRET


INVALID: list[tuple[dict[str, object], str]] = [
    ({"name": "Bad Name"}, "body.name"),
    ({"name": "x" * 64}, "body.name"),
    ({"type": "cohere"}, "body.type"),
    ({"api_key": ""}, "body.api_key"),
    ({"api_key": "k" * 4097}, "body.api_key"),
    ({"type": "azure_openai"}, "body"),  # needs api_version
    ({"extra": 1}, "body.extra"),
]


async def test_invalid_bodies_and_the_azure_api_version(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    for change, field in INVALID:
        body = {**emulator_credential(platform), **change}
        response = await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["code"] == "validation_failed"
        assert field in [detail["field"] for detail in response.json()["error"]["details"]], change
        assert "kkkkkkkk" not in response.text
    body = emulator_credential(platform, "az", type="azure_openai", api_version="2024-10-21")
    created = await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)
    assert created.status_code == 201 and created.json()["api_version"] == "2024-10-21"
    cleared = await platform.client.patch(
        f"/api/v1/credentials/{created.json()['id']}", json={"api_version": None}, headers=acme.headers
    )
    assert cleared.status_code == 400 and cleared.json()["error"]["code"] == "invalid_field"


async def test_names_are_unique_per_tenant_and_lists_page(platform: ControlPlaneHarness) -> None:
    acme, other = await member_of(platform, "acme"), await member_of(platform, "other")
    body = emulator_credential(platform, "shared")
    assert (
        await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)
    ).status_code == 201
    again = await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_name"
    assert (
        await platform.client.post("/api/v1/credentials", json=body, headers=other.headers)
    ).status_code == 201

    for index in range(2):
        body = emulator_credential(platform, f"c{index}")
        assert (
            await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)
        ).status_code == 201
    first = (await platform.client.get("/api/v1/credentials?limit=2", headers=acme.headers)).json()
    assert [c["name"] for c in first["data"]] == ["shared", "c0"] and first["next_cursor"]
    rest = await platform.client.get(
        "/api/v1/credentials", params={"limit": 2, "cursor": first["next_cursor"]}, headers=acme.headers
    )
    assert [c["name"] for c in rest.json()["data"]] == ["c1"] and rest.json()["next_cursor"] is None


async def test_a_new_api_key_is_sealed_under_a_new_data_key(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    created = (
        await platform.client.post(
            "/api/v1/credentials", json=emulator_credential(platform), headers=acme.headers
        )
    ).json()
    old = await _row(platform, created["id"])
    before = await _generation(platform)
    patched = await platform.client.patch(
        f"/api/v1/credentials/{created['id']}", json={"api_key": SECRET}, headers=acme.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["secret_hint"] == "…" + SECRET[-4:] and SECRET not in patched.text
    assert patched.json()["updated_at"] >= created["updated_at"]
    new = await _row(platform, created["id"])
    assert new.ciphertext != old.ciphertext and new.wrapped_key != old.wrapped_key
    assert open_api_key(platform.platform.envelope, new).get_secret_value() == SECRET
    assert await _generation(platform) == before + 1


async def test_moving_a_credential_needs_its_key_again(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    body = emulator_credential(platform, api_key=SECRET)
    created = (await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)).json()
    url = f"/api/v1/credentials/{created['id']}"
    old = await _row(platform, created["id"])
    moved = f"{body['base_url']}/../v1beta/"
    for change in ({"base_url": moved}, {"type": "anthropic"}, {"base_url": moved, "api_version": "x"}):
        refused = await platform.client.patch(url, json=change, headers=acme.headers)
        assert refused.status_code == 400, (change, refused.text)
        assert refused.json()["error"]["code"] == "api_key_required"
        assert "api_key" in refused.json()["error"]["message"]
    unchanged = await _row(platform, created["id"])
    assert (unchanged.base_url, unchanged.type, unchanged.ciphertext) == (
        old.base_url,
        old.type,
        old.ciphertext,
    )
    # The same URL (once normalised) is no move: no key needed.
    same = await platform.client.patch(url, json={"base_url": body["base_url"] + "/"}, headers=acme.headers)
    assert same.status_code == 200, same.text

    new_secret = "sk-byok-elsewhere-99887766"
    patched = await platform.client.patch(
        url, json={"base_url": moved, "api_key": new_secret}, headers=acme.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["base_url"] == moved.rstrip("/")
    assert patched.json()["secret_hint"] == "…" + new_secret[-4:]
    new = await _row(platform, created["id"])
    assert open_api_key(platform.platform.envelope, new).get_secret_value() == new_secret
    retyped = await platform.client.patch(
        url, json={"type": "azure_openai", "api_key": new_secret}, headers=acme.headers
    )
    assert retyped.status_code == 400 and retyped.json()["error"]["code"] == "invalid_field"  # api_version
    for field in ("base_url", "api_key", "type"):
        refused = await platform.client.patch(url, json={field: None}, headers=acme.headers)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_field"


async def test_a_new_server_never_receives_the_stored_key(platform: ControlPlaneHarness) -> None:
    """Through the running gateway: moving the URL without the key is refused, so the key stays home."""
    acme = await member_of(platform, "acme")
    created = await platform.client.post(
        "/api/v1/credentials", json=emulator_credential(platform, "mine"), headers=acme.headers
    )
    route = await platform.client.post(
        "/api/v1/routes",
        json={"alias": "mine", "targets": [{"provider": "mine", "model": "gpt-4o-mini"}]},
        headers=acme.headers,
    )
    assert created.status_code == 201 and route.status_code == 201, route.text
    key = await platform.client.post("/api/v1/keys", json={}, headers=acme.headers)
    chat = {"model": "mine", "messages": [{"role": "user", "content": "hello"}]}
    auth = {"Authorization": f"Bearer {key.json()['secret']}"}
    url = f"/api/v1/credentials/{created.json()['id']}"
    async with MockProvider(host="127.0.0.1", port=0) as thief:  # accepts any key, keeps what it got
        refused = await platform.client.patch(url, json={"base_url": f"{thief.url}/v1"}, headers=acme.headers)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "api_key_required"
        await platform.app.gateway.routing.reload()
        answered = await platform.client.post("/v1/chat/completions", json=chat, headers=auth)
        assert answered.status_code == 200, answered.text  # still served by the original server
        assert thief.requests == []

        moved = await platform.client.patch(
            url,
            json={"base_url": f"{thief.url}/v1", "api_key": "sk-for-the-new-server-1234"},
            headers=acme.headers,
        )
        assert moved.status_code == 200, moved.text
        await platform.app.gateway.routing.reload()
        answered = await platform.client.post("/v1/chat/completions", json=chat, headers=auth)
        assert answered.status_code == 200, answered.text
        received = {request["headers"]["authorization"] for request in thief.requests}
        assert received == {"Bearer sk-for-the-new-server-1234"}
        assert all(PROVIDER_KEY not in str(request) for request in thief.requests)


async def test_delete_once_no_route_uses_it(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    created = (
        await platform.client.post(
            "/api/v1/credentials", json=emulator_credential(platform), headers=acme.headers
        )
    ).json()
    route = await platform.client.post(
        "/api/v1/routes",
        json={
            "alias": "r",
            "targets": [{"provider": "oa", "model": "m"}],
            "fallback": {"provider": "mine", "model": "m"},
        },
        headers=acme.headers,
    )
    assert route.status_code == 201, route.text
    refused = await platform.client.delete(f"/api/v1/credentials/{created['id']}", headers=acme.headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "credential_in_use"
    assert "r" in refused.json()["error"]["message"]
    await platform.client.delete(f"/api/v1/routes/{route.json()['id']}", headers=acme.headers)
    deleted = await platform.client.delete(f"/api/v1/credentials/{created['id']}", headers=acme.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = await platform.client.get(f"/api/v1/credentials/{created['id']}", headers=acme.headers)
    assert gone.status_code == 404


async def test_another_tenants_credential_is_not_found(platform: ControlPlaneHarness) -> None:
    acme, other = await member_of(platform, "acme"), await member_of(platform, "other")
    theirs = (
        await platform.client.post(
            "/api/v1/credentials", json=emulator_credential(platform), headers=other.headers
        )
    ).json()
    url = f"/api/v1/credentials/{theirs['id']}"
    assert (await platform.client.get(url, headers=acme.headers)).status_code == 404
    assert (await platform.client.patch(url, json={"api_key": "x"}, headers=acme.headers)).status_code == 404
    assert (await platform.client.delete(url, headers=acme.headers)).status_code == 404
    assert (
        await platform.client.get("/api/v1/credentials/not-a-uuid", headers=acme.headers)
    ).status_code == 404
    assert (await platform.client.get("/api/v1/credentials", headers=acme.headers)).json()["data"] == []
    still = open_api_key(platform.platform.envelope, await _row(platform, theirs["id"]))
    assert still.get_secret_value() == emulator_credential(platform)["api_key"]  # untouched


async def test_members_read_and_auditors_read_but_neither_writes(platform: ControlPlaneHarness) -> None:
    admin = await member_of(platform, "acme", "admin")
    created = (
        await platform.client.post(
            "/api/v1/credentials", json=emulator_credential(platform), headers=admin.headers
        )
    ).json()
    for role in ("member", "auditor"):
        reader = await member_of(platform, "acme", role)
        assert (await platform.client.get("/api/v1/credentials", headers=reader.headers)).status_code == 200
        for response in (
            await platform.client.post(
                "/api/v1/credentials", json=emulator_credential(platform, "x"), headers=reader.headers
            ),
            await platform.client.patch(
                f"/api/v1/credentials/{created['id']}", json={"api_key": "x"}, headers=reader.headers
            ),
            await platform.client.delete(f"/api/v1/credentials/{created['id']}", headers=reader.headers),
        ):
            assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


async def test_the_api_key_is_in_no_log_line(
    platform: ControlPlaneHarness, caplog: pytest.LogCaptureFixture
) -> None:
    acme = await member_of(platform, "acme")
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        body = emulator_credential(platform, api_key=SECRET)
        created = (await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)).json()
        await platform.client.post("/api/v1/credentials", json=body, headers=acme.headers)  # 409
        await platform.client.post(
            "/api/v1/credentials", json={**body, "name": "x", "base_url": "ftp://x"}, headers=acme.headers
        )  # 400
        await platform.client.post(
            "/api/v1/credentials", json={**body, "api_key": SECRET * 200}, headers=acme.headers
        )
        await platform.client.patch(
            f"/api/v1/credentials/{created['id']}", json={"api_key": SECRET + "2"}, headers=acme.headers
        )
        await platform.app.gateway.routing.reload()  # the data plane opens the key
    events = [entry["event"] for entry in logs]
    assert "credential_created" in events and "credential_updated" in events
    assert "tenant_routing_loaded" in events
    assert SECRET not in repr(logs) and SECRET[:12] not in repr(logs)
    assert SECRET not in caplog.text
