"""A tenant's policy, saved through the API, decides that tenant's requests on the data plane.

End to end with the guard on: the control plane saves the version, the live configuration reaches
the gateway's in-memory policies, the data plane enforces them per tenant, the record writer stores
the violations with the tenant's policy version, and ``/violations`` shows each tenant its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform
from tests.platform.policies.conftest import Team, team

from trueport.guard.policy import default_policy
from trueport.keys.service import create_key
from trueport.mockprovider import MockProvider
from trueport.platform.rbac import Role

EMAIL = "alice.martin@example-corp.com"
PROMPT = f"Write to {EMAIL} today"


@pytest.fixture
async def guarded(database_url: str, mock: MockProvider) -> AsyncIterator[ControlPlaneHarness]:
    async with running_platform(
        platform_settings(database_url, mock.url, guard={"enabled": True})
    ) as harness:
        yield harness


async def key_of(platform: ControlPlaneHarness, team: Team) -> str:
    async with platform.sessions() as session:
        created = await create_key(session, team.tenant, hmac_secret=platform.platform.key_secret)
        await session.commit()
    return created.secret


async def chat(platform: ControlPlaneHarness, key: str) -> httpx.Response:
    return await platform.client.post(
        "/v1/chat/completions",
        json={"model": "oa", "messages": [{"role": "user", "content": PROMPT}]},
        headers={"Authorization": f"Bearer {key}"},
    )


async def gateway_runs(platform: ControlPlaneHarness, team: Team, version: int) -> None:
    """Wait until the gateway enforces ``version`` of the team's own policy (pushed by live config)."""
    guard = platform.app.gateway.guard
    assert guard is not None
    deadline = time.monotonic() + 5
    while guard.policies.engine_for(team.tenant.id) is guard.policies.installation or (
        guard.policies.policy_for(team.tenant.id).version != version
    ):
        assert time.monotonic() < deadline, f"the gateway did not load version {version}"
        await asyncio.sleep(0.05)


async def violations(platform: ControlPlaneHarness, team: Team, query: str = "") -> list[dict[str, Any]]:
    while platform.app.gateway.active_calls:
        await asyncio.sleep(0.01)
    await platform.app.gateway.records.flush()
    response = await platform.client.get(f"/api/v1/violations{query}", headers=team.headers[Role.AUDITOR])
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def save(platform: ControlPlaneHarness, team: Team, policy: dict[str, Any]) -> int:
    response = await platform.client.put(
        "/api/v1/policies/active", json={"policy": policy}, headers=team.headers[Role.ADMIN]
    )
    assert response.status_code == 201, response.text
    version: int = response.json()["version"]
    return version


async def test_each_tenant_is_guarded_by_its_own_policy(
    guarded: ControlPlaneHarness, mock: MockProvider
) -> None:
    acme, globex = await team(guarded, "acme"), await team(guarded, "globex")
    acme_key, globex_key = await key_of(guarded, acme), await key_of(guarded, globex)
    blocking = default_policy().model_dump(mode="json")
    blocking["detectors"]["pii"]["input"]["types"] = {"email": "block"}
    assert await save(guarded, acme, default_policy().model_dump(mode="json")) == 1
    assert await save(guarded, acme, blocking) == 2
    await gateway_runs(guarded, acme, 2)

    refused = await chat(guarded, acme_key)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "policy_violation" and "pii" in error["message"]
    assert EMAIL not in refused.text
    assert not any(EMAIL in str(r["body"]) for r in mock.requests)  # never forwarded

    passed = await chat(guarded, globex_key)  # globex has no policy: the default redacts e-mails
    assert passed.status_code == 200
    assert passed.json()["choices"][0]["message"]["content"] == f"Echo: {PROMPT}"
    assert EMAIL not in str(mock.requests[-1]["body"])

    mine = await violations(guarded, acme)
    assert [(v["detector"], v["type"], v["action"], v["policy_version"]) for v in mine] == [
        ("pii", "email", "block", 2)
    ]
    assert mine[0]["request_id"] == refused.headers["x-request-id"]
    theirs = await violations(guarded, globex)
    assert [(v["type"], v["action"], v["policy_version"]) for v in theirs] == [("email", "redact", 1)]
    assert {v["request_id"] for v in theirs} == {passed.headers["x-request-id"]}
    assert await violations(guarded, globex, f"?request_id={refused.headers['x-request-id']}") == []
    summary = await guarded.client.get("/api/v1/violations/summary", headers=acme.headers[Role.OWNER])
    assert summary.json()["by_action"] == {"block": 1}

    rolled = await guarded.client.post(
        "/api/v1/policies/rollback", json={"version": 1}, headers=acme.headers[Role.OWNER]
    )
    assert rolled.status_code == 201 and rolled.json()["version"] == 3
    await gateway_runs(guarded, acme, 3)
    again = await chat(guarded, acme_key)
    assert again.status_code == 200
    latest = await violations(guarded, acme, f"?request_id={again.headers['x-request-id']}")
    assert [(v["action"], v["policy_version"]) for v in latest] == [("redact", 3)]
