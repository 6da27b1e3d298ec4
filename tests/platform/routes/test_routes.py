"""``/routes``: a tenant's own model aliases, naming its credentials or the installation's providers."""

from __future__ import annotations

from tests.platform.credentials.seed import emulator_credential, member_of
from tests.platform.harness import ControlPlaneHarness

from trueport.platform.live import GenerationStore


async def _generation(platform: ControlPlaneHarness) -> int:
    async with platform.sessions() as session:
        return await GenerationStore.read(session)


async def test_create_get_list_replace_delete(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    credential = await platform.client.post(
        "/api/v1/credentials", json=emulator_credential(platform, "mine"), headers=acme.headers
    )
    assert credential.status_code == 201
    body = {
        "alias": "team/chat-1.0",
        "targets": [{"provider": "mine", "model": "gpt-4o-mini"}, {"provider": "an", "model": "claude"}],
        "fallback": {"message": "later"},
        "cache_ttl_s": 30,
    }
    before = await _generation(platform)
    created = await platform.client.post("/api/v1/routes", json=body, headers=acme.headers)
    assert created.status_code == 201, created.text
    route = created.json()
    assert {key: route[key] for key in body} == {
        **body,
        "fallback": {"message": "later", "provider": None, "model": None},
    }
    assert await _generation(platform) == before + 1

    assert (await platform.client.get(f"/api/v1/routes/{route['id']}", headers=acme.headers)).json() == route
    listed = await platform.client.get("/api/v1/routes", headers=acme.headers)
    assert listed.json() == {"data": [route], "next_cursor": None}

    replacement = {"alias": "chat", "targets": [{"provider": "oa", "model": "gpt-4o"}]}
    replaced = await platform.client.put(
        f"/api/v1/routes/{route['id']}", json=replacement, headers=acme.headers
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["alias"] == "chat" and replaced.json()["fallback"] is None
    assert replaced.json()["cache_ttl_s"] is None and replaced.json()["id"] == route["id"]
    assert await _generation(platform) == before + 2

    deleted = await platform.client.delete(f"/api/v1/routes/{route['id']}", headers=acme.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    assert (
        await platform.client.get(f"/api/v1/routes/{route['id']}", headers=acme.headers)
    ).status_code == 404
    assert await _generation(platform) == before + 3


async def test_providers_must_be_the_tenants_credentials_or_configured_ones(
    platform: ControlPlaneHarness,
) -> None:
    acme, other = await member_of(platform, "acme"), await member_of(platform, "other")
    await platform.client.post(
        "/api/v1/credentials", json=emulator_credential(platform, "theirs"), headers=other.headers
    )
    for targets, fallback in (
        ([{"provider": "nope", "model": "m"}], None),
        ([{"provider": "theirs", "model": "m"}], None),  # another tenant's credential
        ([{"provider": "oa", "model": "m"}], {"provider": "nope", "model": "m"}),
    ):
        response = await platform.client.post(
            "/api/v1/routes",
            json={"alias": "x", "targets": targets, "fallback": fallback},
            headers=acme.headers,
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "unknown_provider"
    assert (await platform.client.get("/api/v1/routes", headers=acme.headers)).json()["data"] == []


async def test_invalid_bodies(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    target = {"provider": "oa", "model": "m"}
    for body in (
        {"alias": "", "targets": [target]},
        {"alias": "-starts-badly", "targets": [target]},
        {"alias": "has space", "targets": [target]},
        {"alias": "a" * 201, "targets": [target]},
        {"alias": "x", "targets": []},
        {"alias": "x", "targets": [target] * 11},
        {"alias": "x", "targets": [target], "fallback": {}},
        {"alias": "x", "targets": [target], "fallback": {"message": "m", "provider": "oa", "model": "m"}},
        {"alias": "x", "targets": [target], "fallback": {"provider": "oa"}},
        {"alias": "x", "targets": [target], "cache_ttl_s": 0},
        {"alias": "x", "targets": [{**target, "weight": 1}]},
    ):
        response = await platform.client.post("/api/v1/routes", json=body, headers=acme.headers)
        assert response.status_code == 422, (body, response.text)


async def test_aliases_are_unique_per_tenant(platform: ControlPlaneHarness) -> None:
    acme, other = await member_of(platform, "acme"), await member_of(platform, "other")
    body = {"alias": "oa", "targets": [{"provider": "an", "model": "m"}]}  # shadowing a global alias is fine
    first = await platform.client.post("/api/v1/routes", json=body, headers=acme.headers)
    assert first.status_code == 201
    again = await platform.client.post("/api/v1/routes", json=body, headers=acme.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_alias"
    assert (await platform.client.post("/api/v1/routes", json=body, headers=other.headers)).status_code == 201
    second = await platform.client.post(
        "/api/v1/routes", json={**body, "alias": "second"}, headers=acme.headers
    )
    renamed = await platform.client.put(
        f"/api/v1/routes/{second.json()['id']}", json=body, headers=acme.headers
    )
    assert renamed.status_code == 409 and renamed.json()["error"]["code"] == "duplicate_alias"
    same = await platform.client.put(f"/api/v1/routes/{first.json()['id']}", json=body, headers=acme.headers)
    assert same.status_code == 200  # replacing a route with its own alias is no conflict


async def test_another_tenants_route_is_not_found_and_roles_are_enforced(
    platform: ControlPlaneHarness,
) -> None:
    acme, other = await member_of(platform, "acme"), await member_of(platform, "other")
    body = {"alias": "r", "targets": [{"provider": "oa", "model": "m"}]}
    theirs = (await platform.client.post("/api/v1/routes", json=body, headers=other.headers)).json()
    url = f"/api/v1/routes/{theirs['id']}"
    assert (await platform.client.get(url, headers=acme.headers)).status_code == 404
    assert (await platform.client.put(url, json=body, headers=acme.headers)).status_code == 404
    assert (await platform.client.delete(url, headers=acme.headers)).status_code == 404
    assert (await platform.client.get("/api/v1/routes/nonsense", headers=acme.headers)).status_code == 404

    member = await member_of(platform, "other", "member")
    assert (await platform.client.get(url, headers=member.headers)).status_code == 200
    for response in (
        await platform.client.post("/api/v1/routes", json={**body, "alias": "m"}, headers=member.headers),
        await platform.client.put(url, json=body, headers=member.headers),
        await platform.client.delete(url, headers=member.headers),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
