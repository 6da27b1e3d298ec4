"""``POST /policies/try``: a sample run through a draft or the active policy by the installation's detectors."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform
from tests.platform.policies.conftest import Team, team

from trueport.guard.policy import default_policy
from trueport.mockprovider import MockProvider
from trueport.platform.rbac import Role

TOKEN = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
EMAIL = "alice.martin@example-corp.com"
SAMPLE = f"Deploy with {TOKEN} and tell {EMAIL}"


@pytest.fixture
async def guarded(database_url: str, mock: MockProvider) -> AsyncIterator[ControlPlaneHarness]:
    async with running_platform(
        platform_settings(database_url, mock.url, guard={"enabled": True})
    ) as harness:
        yield harness


def draft(secrets: str = "block", pii: str = "redact") -> dict[str, Any]:
    policy = default_policy().model_dump(mode="json")
    policy.pop("version")
    policy["detectors"]["secrets"]["input"] = {"action": secrets}
    policy["detectors"]["pii"]["input"] = {"action": pii}
    return policy


async def tried(
    platform: ControlPlaneHarness, who: Team, body: dict[str, Any], role: Role = Role.AUDITOR
) -> Any:
    return await platform.client.post("/api/v1/policies/try", json=body, headers=who.headers[role])


async def test_a_draft_that_blocks_secrets_blocks_a_sample_with_a_token(guarded: ControlPlaneHarness) -> None:
    acme = await team(guarded, "acme")
    response = await tried(guarded, acme, {"policy": draft(), "text": SAMPLE, "source": "user"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["blocked"] is True and answer["policy_version"] is None
    assert answer["block"] == {"reason": "violation", "detector": "secrets", "type": "github_token"}
    secret = next(f for f in answer["findings"] if f["detector"] == "secrets")
    assert SAMPLE[secret["start"] : secret["end"]] == TOKEN and secret["action"] == "block"


async def test_the_same_sample_passes_with_secrets_off_and_emails_redacted(
    guarded: ControlPlaneHarness,
) -> None:
    acme = await team(guarded, "acme")
    response = await tried(guarded, acme, {"policy": draft(secrets="off"), "text": SAMPLE})
    answer = response.json()
    assert response.status_code == 200 and answer["blocked"] is False and answer["block"] is None
    assert [(f["detector"], f["type"], f["action"]) for f in answer["findings"]] == [
        ("pii", "email", "redact")
    ]
    assert TOKEN in answer["redacted_text"] and EMAIL not in answer["redacted_text"]
    assert "\u27e6EMAIL_1\u27e7" in answer["redacted_text"]


async def test_without_a_draft_the_active_version_decides(guarded: ControlPlaneHarness) -> None:
    acme = await team(guarded, "acme")
    saved = await guarded.client.put(
        "/api/v1/policies/active", json={"policy": draft(pii="block")}, headers=acme.headers[Role.ADMIN]
    )
    assert saved.status_code == 201, saved.text
    answer = (await tried(guarded, acme, {"text": f"write to {EMAIL}"})).json()
    assert answer["policy_version"] == 1 and answer["blocked"] is True
    assert answer["block"]["detector"] == "pii"
    other = await team(guarded, "globex")  # another tenant's active policy is its own
    assert (await tried(guarded, other, {"text": f"write to {EMAIL}"})).json()["blocked"] is False


async def test_the_output_direction_and_source_are_the_policys(guarded: ControlPlaneHarness) -> None:
    acme = await team(guarded, "acme")
    policy = draft()
    policy["detectors"]["pii"]["output"] = {"action": "flag"}
    answer = (await tried(guarded, acme, {"policy": policy, "text": EMAIL, "direction": "output"})).json()
    assert [f["action"] for f in answer["findings"]] == ["flag"] and answer["redacted_text"] == EMAIL
    policy["detectors"]["pii"]["input"]["sources"] = {"system": {"action": "off"}}
    answer = (await tried(guarded, acme, {"policy": policy, "text": EMAIL, "source": "system"})).json()
    assert answer["findings"] == []


async def test_an_invalid_draft_is_refused_naming_the_field(guarded: ControlPlaneHarness) -> None:
    acme = await team(guarded, "acme")
    policy = copy.deepcopy(draft())
    policy["detectors"]["pii"]["input"] = {"action": "redact", "threshold": 2}
    response = await tried(guarded, acme, {"policy": policy, "text": SAMPLE})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_policy" and "detectors.pii.input.threshold" in error["message"]
    bad_source = await tried(guarded, acme, {"text": SAMPLE, "source": "carrier pigeon"})
    assert bad_source.status_code == 422 and "source" in bad_source.text


async def test_a_sample_over_32_kib_is_refused(guarded: ControlPlaneHarness) -> None:
    acme = await team(guarded, "acme")
    response = await tried(guarded, acme, {"text": "é" * (16 * 1024 + 1)})  # 2 bytes each in UTF-8
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "text_too_large"
    assert (await tried(guarded, acme, {"text": "a" * 32 * 1024})).status_code == 200
    broken = await guarded.client.post(
        "/api/v1/policies/try",
        content=b'{"text": "a\\ud800b"}',  # a lone surrogate: valid JSON, not valid Unicode
        headers={**acme.headers[Role.AUDITOR], "content-type": "application/json"},
    )
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "invalid_text"), broken.text


async def test_every_reader_may_try_and_only_members_of_the_tenant(guarded: ControlPlaneHarness) -> None:
    acme = await team(guarded, "acme")
    for role in (Role.OWNER, Role.ADMIN, Role.AUDITOR):
        assert (await tried(guarded, acme, {"text": SAMPLE}, role)).status_code == 200, role
    anonymous = await guarded.client.post("/api/v1/policies/try", json={"text": SAMPLE})
    assert anonymous.status_code == 401


async def test_with_the_guard_disabled_there_is_nothing_to_try(
    platform: ControlPlaneHarness, acme: Team
) -> None:
    response = await tried(platform, acme, {"text": SAMPLE})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "guard_disabled"
