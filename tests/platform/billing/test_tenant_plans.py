"""``GET /billing/admin/tenant-plans``: the plans of the tenants a platform admin lists, in one call."""

from __future__ import annotations

from tests.platform.harness import ControlPlaneHarness

ADMIN = "/api/v1/billing/admin"


async def test_platform_admins_read_the_plans_of_named_tenants(platform: ControlPlaneHarness) -> None:
    acme, beta, gamma = [await platform.tenant(slug) for slug in ("acme", "beta", "gamma")]
    admin = platform.auth(await platform.user("root@op.test", platform_admin=True))
    owner = await platform.user("owner@acme.test")
    await platform.member(acme, owner, "owner")
    client = platform.client
    plans = {}
    for name in ("team", "scale"):
        created = await client.post(f"{ADMIN}/plans", json={"name": name}, headers=admin)
        assert created.status_code == 201, created.text
        plans[name] = created.json()["id"]
    for tenant, plan in ((acme, "team"), (beta, "scale")):
        put = await client.put(
            f"{ADMIN}/tenants/{tenant.id}/plan", json={"plan_id": plans[plan]}, headers=admin
        )
        assert put.status_code == 200, put.text

    ids = [acme.id, beta.id, gamma.id, "not-a-uuid", "00000000-0000-4000-8000-000000000000"]
    read = await client.get(f"{ADMIN}/tenant-plans", params={"tenant_id": ids}, headers=admin)
    assert read.status_code == 200, read.text
    found = {entry["tenant_id"]: entry["plan"]["name"] for entry in read.json()}
    assert found == {acme.id: "team", beta.id: "scale"}  # gamma is on none; the others do not exist

    only_beta = await client.get(f"{ADMIN}/tenant-plans", params={"tenant_id": [beta.id]}, headers=admin)
    assert [entry["plan"]["id"] for entry in only_beta.json()] == [plans["scale"]]

    too_many = await client.get(f"{ADMIN}/tenant-plans", params={"tenant_id": [acme.id] * 101}, headers=admin)
    assert too_many.status_code == 422
    assert too_many.json()["error"]["code"] == "validation_failed"

    refused = await client.get(
        f"{ADMIN}/tenant-plans", params={"tenant_id": [acme.id]}, headers=platform.auth(owner, acme)
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "platform_admin_required"
    unsigned = await client.get(f"{ADMIN}/tenant-plans", params={"tenant_id": [acme.id]})
    assert unsigned.status_code == 401
