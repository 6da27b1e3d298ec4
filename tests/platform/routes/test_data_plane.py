"""A tenant's own routes and credentials on the data plane (``/v1``): used by that tenant only.

Most tests apply the change by calling the gateway's ``routing.reload()`` themselves, so that they do
not depend on timing; ``test_a_new_route_reaches_the_gateway_by_itself`` checks the live push.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from tests.gateway.harness import PROVIDER_KEY
from tests.platform.credentials.seed import Member, emulator_credential, member_of
from tests.platform.harness import ControlPlaneHarness

from trueport.mockprovider import MockProvider

WRONG_KEY = "sk-wrong-tenant-key-0000"


async def _key(platform: ControlPlaneHarness, member: Member, **options: Any) -> str:
    created = await platform.client.post("/api/v1/keys", json=options, headers=member.headers)
    assert created.status_code == 201, created.text
    secret: str = created.json()["secret"]
    return secret


async def _chat(platform: ControlPlaneHarness, secret: str, model: str) -> httpx.Response:
    return await platform.client.post(
        "/v1/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": "hello"}]},
        headers={"Authorization": f"Bearer {secret}"},
    )


async def _models(platform: ControlPlaneHarness, secret: str) -> list[str]:
    response = await platform.client.get("/v1/models", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    return [model["id"] for model in response.json()["data"]]


async def test_a_tenants_route_serves_that_tenant_with_its_own_key(
    platform: ControlPlaneHarness, mock: MockProvider
) -> None:
    acme, other = await member_of(platform, "acme"), await member_of(platform, "other")
    credential = await platform.client.post(
        "/api/v1/credentials",
        json=emulator_credential(platform, "mine", api_key=WRONG_KEY),
        headers=acme.headers,
    )
    route = await platform.client.post(
        "/api/v1/routes",
        json={"alias": "mine", "targets": [{"provider": "mine", "model": "gpt-4o-mini"}]},
        headers=acme.headers,
    )
    assert credential.status_code == 201 and route.status_code == 201, route.text
    acme_key, other_key = await _key(platform, acme), await _key(platform, other)
    await platform.app.gateway.routing.reload()

    # The tenant's credential is what the provider receives: this one is wrong, so the provider says 401.
    mock.clear_requests()
    refused = await _chat(platform, acme_key, "mine")
    assert refused.status_code == 502, refused.text
    sent = mock.requests
    assert sent and {r["headers"]["authorization"] for r in sent} == {f"Bearer {WRONG_KEY}"}

    fixed = await platform.client.patch(
        f"/api/v1/credentials/{credential.json()['id']}", json={"api_key": PROVIDER_KEY}, headers=acme.headers
    )
    assert fixed.status_code == 200
    await platform.app.gateway.routing.reload()  # the changed credential's adapter is replaced
    mock.clear_requests()
    answered = await _chat(platform, acme_key, "mine")
    assert answered.status_code == 200, answered.text
    [request] = mock.requests
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "gpt-4o-mini"
    assert request["headers"]["authorization"] == f"Bearer {PROVIDER_KEY}"

    unknown = await _chat(platform, other_key, "mine")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    assert "mine" in await _models(platform, acme_key)
    assert "mine" not in await _models(platform, other_key)
    assert set(await _models(platform, other_key)) == set(platform.settings.models)
    auth_acme = {"Authorization": f"Bearer {acme_key}"}
    assert (await platform.client.get("/v1/models/mine", headers=auth_acme)).status_code == 200
    other_get = await platform.client.get("/v1/models/mine", headers={"Authorization": f"Bearer {other_key}"})
    assert other_get.status_code == 404


async def test_a_keys_allowed_models_filter_tenant_aliases_too(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    await platform.client.post(
        "/api/v1/credentials", json=emulator_credential(platform), headers=acme.headers
    )
    for alias in ("mine", "mine-too"):
        await platform.client.post(
            "/api/v1/routes",
            json={"alias": alias, "targets": [{"provider": "mine", "model": "gpt-4o-mini"}]},
            headers=acme.headers,
        )
    restricted = await _key(platform, acme, models=["mine", "oa"])
    await platform.app.gateway.routing.reload()
    assert await _models(platform, restricted) == ["mine", "oa"]
    assert (await _chat(platform, restricted, "mine")).status_code == 200
    denied = await _chat(platform, restricted, "mine-too")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "model_not_allowed"


async def test_a_tenant_alias_shadows_the_global_one_for_that_tenant_only(
    platform: ControlPlaneHarness, mock: MockProvider
) -> None:
    acme, other = await member_of(platform, "acme"), await member_of(platform, "other")
    shadow = await platform.client.post(
        "/api/v1/routes",
        json={"alias": "oa", "targets": [{"provider": "an", "model": "claude-sonnet-4-5"}]},
        headers=acme.headers,
    )
    assert shadow.status_code == 201
    acme_key, other_key = await _key(platform, acme), await _key(platform, other)
    await platform.app.gateway.routing.reload()
    mock.clear_requests()
    assert (await _chat(platform, acme_key, "oa")).status_code == 200
    assert (await _chat(platform, other_key, "oa")).status_code == 200
    assert [r["path"] for r in mock.requests] == ["/v1/messages", "/v1/chat/completions"]
    assert (await _models(platform, acme_key)).count("oa") == 1

    await platform.client.delete(f"/api/v1/routes/{shadow.json()['id']}", headers=acme.headers)
    await platform.app.gateway.routing.reload()
    mock.clear_requests()
    assert (await _chat(platform, acme_key, "oa")).status_code == 200
    assert [r["path"] for r in mock.requests] == ["/v1/chat/completions"]


async def test_a_tenant_route_falls_back_and_caches_as_configured(
    platform: ControlPlaneHarness, mock: MockProvider
) -> None:
    acme = await member_of(platform, "acme")
    await platform.client.post(
        "/api/v1/routes",
        json={
            "alias": "sturdy",
            "targets": [{"provider": "oa", "model": "m+status=503"}],
            "fallback": {"message": "Come back later."},
        },
        headers=acme.headers,
    )
    await platform.client.post(
        "/api/v1/routes",
        json={"alias": "cached", "targets": [{"provider": "oa", "model": "gpt-4o-mini"}], "cache_ttl_s": 60},
        headers=acme.headers,
    )
    key = await _key(platform, acme)
    await platform.app.gateway.routing.reload()
    answer = await _chat(platform, key, "sturdy")
    assert answer.status_code == 200 and answer.headers["x-trueport-fallback"] == "true"
    assert answer.json()["choices"][0]["message"]["content"] == "Come back later."
    mock.clear_requests()
    first, second = await _chat(platform, key, "cached"), await _chat(platform, key, "cached")
    assert first.json() == second.json() and len(mock.requests) == 1


async def test_a_new_route_reaches_the_gateway_by_itself(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    key = await _key(platform, acme)
    await platform.client.post(
        "/api/v1/credentials", json=emulator_credential(platform), headers=acme.headers
    )
    await platform.client.post(
        "/api/v1/routes",
        json={"alias": "pushed", "targets": [{"provider": "mine", "model": "gpt-4o-mini"}]},
        headers=acme.headers,
    )
    deadline = time.monotonic() + 5
    while (status := (await _chat(platform, key, "pushed")).status_code) != 200:
        assert status == 404 and time.monotonic() < deadline, status
        await asyncio.sleep(0.1)


async def test_a_tenant_route_pinned_to_a_region_uses_only_credentials_in_it(
    platform: ControlPlaneHarness, mock: MockProvider
) -> None:
    acme = await member_of(platform, "acme")
    eu = await platform.client.post(
        "/api/v1/credentials",
        json=emulator_credential(platform, "eu", region="eu-west-1"),
        headers=acme.headers,
    )
    assert eu.status_code == 201 and eu.json()["region"] == "eu-west-1"
    us = await platform.client.post(
        "/api/v1/credentials",
        json=emulator_credential(platform, "us", region="us-east-1"),
        headers=acme.headers,
    )
    assert us.status_code == 201
    route = await platform.client.post(
        "/api/v1/routes",
        json={
            "alias": "resident",
            "targets": [{"provider": "us", "model": "gpt-4o"}, {"provider": "eu", "model": "gpt-4o-mini"}],
            "regions": ["eu-west-1"],
        },
        headers=acme.headers,
    )
    assert route.status_code == 201, route.text
    assert route.json()["regions"] == ["eu-west-1"]
    secret = await _key(platform, acme)
    await platform.app.gateway.routing.reload()
    mock.clear_requests()
    answered = await _chat(platform, secret, "resident")
    assert answered.status_code == 200, answered.text
    assert [r["body"]["model"] for r in mock.requests] == ["gpt-4o-mini"]  # the us credential was skipped
    moved = await platform.client.patch(
        f"/api/v1/credentials/{eu.json()['id']}", json={"region": "eu-north-1"}, headers=acme.headers
    )
    assert moved.status_code == 200 and moved.json()["region"] == "eu-north-1"
    await platform.app.gateway.routing.reload()
    mock.clear_requests()
    refused = await _chat(platform, secret, "resident")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "region_unavailable"
    assert mock.requests == []
