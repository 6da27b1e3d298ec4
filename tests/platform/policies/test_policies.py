"""``/api/v1/policies``: a tenant's guard policy as appended versions, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
from tests.platform.harness import ControlPlaneHarness
from tests.platform.policies.conftest import Team, team

from trueport.guard.policy import default_policy
from trueport.platform.live import GenerationStore
from trueport.platform.policies.schemas import POLICY_EXAMPLE
from trueport.platform.rbac import Role

OWNER, ADMIN, MEMBER, AUDITOR = Role.OWNER, Role.ADMIN, Role.MEMBER, Role.AUDITOR


def blocking_emails() -> dict[str, Any]:
    policy = default_policy().model_dump(mode="json")
    policy["detectors"]["pii"]["input"]["types"] = {"email": "block"}
    return policy


async def put(
    platform: ControlPlaneHarness, team: Team, policy: dict[str, Any], role: Role = ADMIN
) -> httpx.Response:
    return await platform.client.put(
        "/api/v1/policies/active", json={"policy": policy}, headers=team.headers[role]
    )


async def get(platform: ControlPlaneHarness, team: Team, path: str, role: Role = ADMIN) -> httpx.Response:
    return await platform.client.get(f"/api/v1/policies{path}", headers=team.headers[role])


async def test_a_tenant_without_a_policy_runs_under_the_installation_policy(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    active = await get(platform, acme, "/active", MEMBER)
    assert active.status_code == 200
    body = active.json()
    assert body["source"] == "installation"
    assert body["created_at"] is None and body["created_by"] is None
    assert body["policy"] == default_policy().model_dump(mode="json")
    assert body["version"] == body["policy"]["version"] == 1
    default = await get(platform, acme, "/default", AUDITOR)
    assert default.status_code == 200 and default.json() == body
    listed = await get(platform, acme, "")
    assert listed.json() == {"data": [], "next_cursor": None}


async def test_each_save_appends_the_next_version_which_becomes_active(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    first = await put(platform, acme, {**blocking_emails(), "version": 99})
    assert first.status_code == 201
    saved = first.json()
    assert saved["version"] == saved["policy"]["version"] == 1  # whatever the client sent
    assert saved["source"] == "tenant"
    assert saved["created_by"] == acme.users[ADMIN].id
    assert saved["created_at"].endswith("Z")
    assert saved["policy"]["detectors"]["pii"]["input"]["types"] == {
        "email": {"action": "block", "threshold": None}
    }

    second = await put(platform, acme, POLICY_EXAMPLE, OWNER)
    assert second.status_code == 201 and second.json()["version"] == 2
    active = (await get(platform, acme, "/active", MEMBER)).json()
    assert active == second.json()
    assert active["policy"]["detectors"]["pii"]["input"]["types"]["credit_card"]["action"] == "block"
    assert active["policy"]["detectors"]["injection"]["shadow"] is True

    one = await get(platform, acme, "/1", AUDITOR)
    assert one.status_code == 200 and one.json() == saved
    listed = (await get(platform, acme, "")).json()
    assert [v["version"] for v in listed["data"]] == [1, 2]


async def test_versions_are_listed_page_by_page(platform: ControlPlaneHarness, acme: Team) -> None:
    for _ in range(3):
        assert (await put(platform, acme, blocking_emails())).status_code == 201
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(4):
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await get(platform, acme, query)).json()
        seen += [v["version"] for v in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [1, 2, 3]


async def test_a_rollback_saves_a_copy_of_an_old_version_as_the_next_one(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    await put(platform, acme, blocking_emails())
    await put(platform, acme, POLICY_EXAMPLE)
    rolled = await platform.client.post(
        "/api/v1/policies/rollback", json={"version": 1}, headers=acme.headers[OWNER]
    )
    assert rolled.status_code == 201
    body = rolled.json()
    assert body["version"] == body["policy"]["version"] == 3
    assert body["created_by"] == acme.users[OWNER].id
    old = (await get(platform, acme, "/1")).json()
    assert {**body["policy"], "version": 1} == old["policy"]
    assert (await get(platform, acme, "/active")).json()["version"] == 3
    missing = await platform.client.post(
        "/api/v1/policies/rollback", json={"version": 9}, headers=acme.headers[ADMIN]
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "policy_version_not_found"


async def test_an_invalid_policy_is_refused_with_every_problem_named(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    policy = copy.deepcopy(blocking_emails())
    policy["detectors"]["pii"]["input"] = {"action": "shred", "threshold": 2}
    policy["detectors"]["bias"]["mode"] = "async"
    policy["detectors"]["bias"]["input"] = {"action": "block"}
    response = await put(platform, acme, policy)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_policy"
    for location in ("detectors.pii.input.action", "detectors.pii.input.threshold", "detectors.bias"):
        assert location in error["message"]
    assert "async detector cannot block" in error["message"]
    assert (await get(platform, acme, "")).json()["data"] == []  # nothing was saved


async def test_per_source_rules_are_saved_shown_and_validated(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    default = (await get(platform, acme, "/default", MEMBER)).json()["policy"]
    injection = default["detectors"]["injection"]["input"]
    assert injection["action"] == "flag" and injection["block_threshold"] == 0.9
    assert injection["sources"]["system"]["action"] == "off"

    policy = copy.deepcopy(default)
    policy["detectors"]["injection"]["input"]["sources"]["tool_output"] = "block"
    saved = await put(platform, acme, policy)
    assert saved.status_code == 201
    active = (await get(platform, acme, "/active", MEMBER)).json()["policy"]
    assert active["detectors"]["injection"]["input"]["sources"]["tool_output"]["action"] == "block"

    policy["detectors"]["injection"]["output"] = {"action": "flag", "sources": {"user": "off"}}
    policy["detectors"]["pii"]["input"]["sources"] = {"emails": "off"}
    refused = await put(platform, acme, policy)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "never occur in this direction" in message and "detectors.pii.input.sources" in message


async def test_a_policy_may_not_enable_a_detector_the_installation_does_not_run(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    policy = blocking_emails()
    policy["detectors"]["toxicity"] = {"input": {"action": "block"}}
    response = await put(platform, acme, policy)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_policy"
    assert "detectors.toxicity" in error["message"] and "pii, secrets, injection, bias" in error["message"]
    policy["detectors"]["toxicity"] = {"input": {"action": "off"}}  # named but off: harmless
    assert (await put(platform, acme, policy)).status_code == 201


async def test_malformed_bodies_are_validation_errors(platform: ControlPlaneHarness, acme: Team) -> None:
    for body in ({"policy": blocking_emails(), "extra": 1}, {"policy": "block everything"}, {}):
        response = await platform.client.put(
            "/api/v1/policies/active", json=body, headers=acme.headers[ADMIN]
        )
        assert response.status_code == 422, body
    for body in ({"version": 0}, {"version": "one"}, {"version": 1, "policy": {}}):
        response = await platform.client.post(
            "/api/v1/policies/rollback", json=body, headers=acme.headers[ADMIN]
        )
        assert response.status_code == 422, body


async def test_only_owners_and_admins_may_change_the_policy(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    for role in (MEMBER, AUDITOR):
        response = await put(platform, acme, blocking_emails(), role)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
        rollback = await platform.client.post(
            "/api/v1/policies/rollback", json={"version": 1}, headers=acme.headers[role]
        )
        assert rollback.status_code == 403
    assert (await get(platform, acme, "", MEMBER)).json()["data"] == []
    for role in Role:
        for path in ("/active", "/default", ""):
            assert (await get(platform, acme, path, role)).status_code == 200, (role, path)


async def test_another_tenants_versions_are_not_found(platform: ControlPlaneHarness, acme: Team) -> None:
    globex = await team(platform, "globex")
    assert (await put(platform, globex, blocking_emails())).status_code == 201
    assert (await put(platform, globex, POLICY_EXAMPLE)).status_code == 201
    assert (await put(platform, acme, POLICY_EXAMPLE)).status_code == 201
    assert (await get(platform, acme, "/2")).status_code == 404  # globex has one, acme does not
    mine = (await get(platform, acme, "/1")).json()
    assert mine["policy"]["detectors"]["pii"]["input"]["types"]["credit_card"]["action"] == "block"
    assert [v["version"] for v in (await get(platform, acme, "")).json()["data"]] == [1]
    rollback = await platform.client.post(
        "/api/v1/policies/rollback", json={"version": 2}, headers=acme.headers[ADMIN]
    )
    assert rollback.status_code == 404
    for version in ("0", "abc", "1.0", "99999999999", "-1"):
        response = await get(platform, acme, f"/{version}")
        assert response.status_code == 404, version
        assert response.json()["error"]["code"] in ("policy_version_not_found", "not_found")


async def test_saving_announces_a_configuration_change(platform: ControlPlaneHarness, acme: Team) -> None:
    async with platform.sessions() as session:
        before = await GenerationStore.read(session)
    assert (await put(platform, acme, blocking_emails())).status_code == 201
    await platform.client.post("/api/v1/policies/rollback", json={"version": 1}, headers=acme.headers[ADMIN])
    assert (await put(platform, acme, {"detectors": {"pii": {"input": {"action": "x"}}}})).status_code == 400
    async with platform.sessions() as session:
        assert await GenerationStore.read(session) == before + 2


async def test_the_openapi_schema_shows_an_example_policy(platform: ControlPlaneHarness) -> None:
    schema = (await platform.client.get("/api/v1/openapi.json")).json()
    operation = schema["paths"]["/api/v1/policies/active"]["put"]
    assert operation["summary"] and "201" in operation["responses"]
    assert "credit_card" in str(schema["components"]["schemas"]["PolicyIn"])
    assert "/api/v1/policies/{version}" in schema["paths"]


async def test_concurrent_saves_never_share_a_version(platform: ControlPlaneHarness, acme: Team) -> None:
    responses = await asyncio.gather(*(put(platform, acme, blocking_emails()) for _ in range(5)))
    assert {r.status_code for r in responses} <= {201, 409}
    saved = sorted(r.json()["version"] for r in responses if r.status_code == 201)
    assert saved == list(range(1, len(saved) + 1))
    assert all(r.json()["error"]["code"] == "policy_conflict" for r in responses if r.status_code == 409)
    listed = (await get(platform, acme, "")).json()["data"]
    assert [v["version"] for v in listed] == saved
