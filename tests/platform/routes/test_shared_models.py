"""Tenant routes on the installation's provider accounts: only the models the operator shares.

The harness shares ``oa`` with ``m``, ``gpt-4o``, ``gpt-4o-mini`` and ``m+status=503`` and ``an`` with
``m``, ``claude`` and ``claude-sonnet-4-5`` (``platform.tenant_shared_models``); ``ge`` and ``az`` are
configured but not shared. A tenant's own credential may name any model.
"""

from __future__ import annotations

import httpx
from sqlalchemy import select
from tests.platform.credentials.seed import Member, emulator_credential, member_of
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import TenantRoute
from trueport.mockprovider import MockProvider


def _route(alias: str, provider: str, model: str, **extra: object) -> dict[str, object]:
    return {"alias": alias, "targets": [{"provider": provider, "model": model}], **extra}


async def _post(platform: ControlPlaneHarness, member: Member, body: dict[str, object]) -> httpx.Response:
    return await platform.client.post("/api/v1/routes", json=body, headers=member.headers)


async def test_only_shared_models_on_the_operators_accounts(platform: ControlPlaneHarness) -> None:
    acme = await member_of(platform, "acme")
    refused = {
        "o1-pro": _route("x", "oa", "o1-pro"),
        "a directive": _route("x", "oa", "gpt-4o+delay=1"),
        "shared elsewhere": _route("x", "an", "gpt-4o-mini"),
        "fallback": _route("x", "oa", "m", fallback={"provider": "oa", "model": "o1-pro"}),
        "second target": {
            "alias": "x",
            "targets": [{"provider": "oa", "model": "m"}] * 2
            + [{"provider": "oa", "model": "gpt-4o-mini+usage=-1,-1"}],
        },
    }
    for why, body in refused.items():
        response = await _post(platform, acme, body)
        assert response.status_code == 400, (why, response.text)
        assert response.json()["error"]["code"] == "model_not_shared", why
    not_shared = await _post(platform, acme, _route("x", "ge", "gemini-2.5-flash"))  # configured, not shared
    assert not_shared.status_code == 400 and not_shared.json()["error"]["code"] == "unknown_provider"
    assert (
        "ge" in not_shared.json()["error"]["message"]
        and "gemini" not in not_shared.json()["error"]["message"]
    )

    allowed = await _post(platform, acme, _route("chat", "oa", "gpt-4o-mini"))
    assert allowed.status_code == 201, allowed.text
    replaced = await platform.client.put(
        f"/api/v1/routes/{allowed.json()['id']}", json=_route("chat", "oa", "o1-pro"), headers=acme.headers
    )
    assert replaced.status_code == 400 and replaced.json()["error"]["code"] == "model_not_shared"
    assert (await _post(platform, acme, _route("x", "an", "claude"))).status_code == 201

    # The tenant's own account: any model, directives included (it is their key that pays).
    created = await platform.client.post(
        "/api/v1/credentials", json=emulator_credential(platform, "mine"), headers=acme.headers
    )
    assert created.status_code == 201
    assert (await _post(platform, acme, _route("own", "mine", "o1-pro"))).status_code == 201
    # Shadowing the operator's provider name with one's own credential uses one's own account.
    shadow = await platform.client.post(
        "/api/v1/credentials", json=emulator_credential(platform, "oa"), headers=acme.headers
    )
    assert shadow.status_code == 201
    assert (await _post(platform, acme, _route("shadowed", "oa", "o1-pro"))).status_code == 201


async def test_a_route_saved_before_is_not_served_outside_the_list(
    platform: ControlPlaneHarness, mock: MockProvider
) -> None:
    """Routes written when the list was wider (here: straight into the table) are checked again when served."""
    acme = await member_of(platform, "acme")
    ok = await _post(platform, acme, _route("chat", "oa", "gpt-4o-mini"))
    assert ok.status_code == 201
    async with platform.sessions() as session:
        for alias, model in (("pro", "o1-pro"), ("slow", "gpt-4o-mini+delay=1")):
            session.add(
                TenantRoute(
                    tenant_id=acme.tenant.id, alias=alias, targets=[{"provider": "oa", "model": model}]
                )
            )
        session.add(
            TenantRoute(
                tenant_id=acme.tenant.id,
                alias="mixed",
                targets=[{"provider": "oa", "model": "o1-pro"}, {"provider": "oa", "model": "gpt-4o-mini"}],
                fallback={"provider": "oa", "model": "gpt-4o+status=500"},
            )
        )
        await session.commit()
        assert len((await session.execute(select(TenantRoute))).scalars().all()) == 4
    key = await platform.client.post("/api/v1/keys", json={}, headers=acme.headers)
    auth = {"Authorization": f"Bearer {key.json()['secret']}"}
    await platform.app.gateway.routing.reload()

    async def chat(model: str) -> httpx.Response:
        body = {"model": model, "messages": [{"role": "user", "content": "hello"}]}
        return await platform.client.post("/v1/chat/completions", json=body, headers=auth)

    for alias in ("pro", "slow"):
        mock.clear_requests()
        refused = await chat(alias)
        assert refused.status_code >= 400, (alias, refused.text)
        assert mock.requests == [], alias  # nothing reached the operator's account
    mock.clear_requests()
    served = await chat("mixed")  # only its shared target is left
    assert served.status_code == 200, served.text
    assert [request["body"]["model"] for request in mock.requests] == ["gpt-4o-mini"]
    mock.clear_requests()
    assert (await chat("chat")).status_code == 200
    assert [request["body"]["model"] for request in mock.requests] == ["gpt-4o-mini"]
