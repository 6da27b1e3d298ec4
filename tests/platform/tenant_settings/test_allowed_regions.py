"""``/api/v1/settings/regions``: a tenant's region pinning, validated, audited, and applied by the gateway."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.platform.credentials.seed import Member, member_of
from tests.platform.harness import ControlPlaneHarness

from trueport.platform.live import GenerationStore

URL = "/api/v1/settings/regions"


async def generation(platform: ControlPlaneHarness) -> int:
    async with platform.sessions() as session:
        return await GenerationStore.read(session)


async def put(platform: ControlPlaneHarness, member: Member, body: Any) -> Any:
    response = await platform.client.put(URL, json=body, headers=member.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def tenant_changes(platform: ControlPlaneHarness, member: Member, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        listed = await platform.client.get(
            "/api/v1/audit/events", params={"kind": "control_plane", "limit": 200}, headers=member.headers
        )
        assert listed.status_code == 200, listed.text
        events = [e["event"] for e in listed.json()["data"] if e["event"]["object_type"] == "tenants"]
        if len(events) >= count:
            return events
        assert time.monotonic() < deadline, f"{len(events)} tenant changes audited, not {count}"
        await asyncio.sleep(0.05)


async def test_an_owner_pins_and_unpins_the_tenant(platform: ControlPlaneHarness) -> None:
    owner = await member_of(platform, "acme", role="owner")
    reader = await member_of(platform, "acme", role="auditor")
    assert (await platform.client.get(URL, headers=reader.headers)).json() == {"allowed_regions": None}
    start = await generation(platform)
    pinned = await put(platform, owner, {"allowed_regions": ["eu-west-1", "eu-central-1", "eu-west-1"]})
    assert pinned == {"allowed_regions": ["eu-central-1", "eu-west-1"]}  # sorted, once each
    assert (await platform.client.get(URL, headers=reader.headers)).json() == pinned
    assert await generation(platform) == start + 1  # the gateways are told
    await put(platform, owner, {"allowed_regions": ["eu-central-1", "eu-west-1"]})
    assert await generation(platform) == start + 1  # the same pinning again changes nothing
    assert await put(platform, owner, {"allowed_regions": None}) == {"allowed_regions": None}
    assert await generation(platform) == start + 2
    changes = await tenant_changes(platform, owner, 2)
    pin, unpin = sorted(changes, key=lambda e: e["ts"])[-2:]
    assert pin["action"] == "update" and pin["object_id"] == owner.tenant.id
    assert pin["before"]["allowed_regions"] is None
    assert pin["after"]["allowed_regions"] == ["eu-central-1", "eu-west-1"]
    assert unpin["after"]["allowed_regions"] is None


async def test_malformed_pinnings_are_refused(platform: ControlPlaneHarness) -> None:
    owner = await member_of(platform, "acme", role="owner")
    bodies: list[dict[str, Any]] = [
        {"allowed_regions": []},  # pinned to nowhere: use null to unpin
        {"allowed_regions": ["EU West"]},
        {"allowed_regions": ["eu-west-1"] * 21},
        {"allowed_regions": "eu-west-1"},
        {},
        {"allowed_regions": ["eu-west-1"], "other": 1},
    ]
    for body in bodies:
        response = await platform.client.put(URL, json=body, headers=owner.headers)
        assert response.status_code == 422, (body, response.text)
    assert (await platform.client.get(URL, headers=owner.headers)).json() == {"allowed_regions": None}


async def test_a_member_cannot_change_the_pinning_and_tenants_are_apart(
    platform: ControlPlaneHarness,
) -> None:
    member = await member_of(platform, "acme", role="member")
    other = await member_of(platform, "other", role="owner")
    refused = await platform.client.put(URL, json={"allowed_regions": ["us-east-1"]}, headers=member.headers)
    assert refused.status_code == 403
    await put(platform, other, {"allowed_regions": ["us-east-1"]})
    assert (await platform.client.get(URL, headers=member.headers)).json() == {"allowed_regions": None}
