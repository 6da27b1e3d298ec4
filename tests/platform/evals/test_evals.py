"""Eval suites end to end, on SQLite and PostgreSQL: CRUD and validation, an on-demand guard run under
the tenant's policy (a failing case fails the run), its ``eval.run.completed`` event reaching a real
webhook receiver, run history and trend, built-in suites, and the guard being off."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.gateway.harness import PROVIDER_KEY
from tests.jobs.test_webhooks import Receiver, receiving
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.mockprovider import MockProvider
from trueport.platform.evals.schemas import MAX_CASES

SECRET_TEXT = "my token is ghp_R8uT2bX9kLm4Qw7Zs1Vn6Yc3Hf5Jd0PeAa1B ok"
CASES: list[dict[str, Any]] = [
    {"text": SECRET_TEXT, "expect": {"secrets": "detected"}},
    {"text": "hello, how are you?", "expect": {"secrets": "clean"}},
    {"text": "hello there", "expect": {"secrets": "blocked"}, "note": "wrong on purpose"},
]


@pytest.fixture
async def platform(database_url: str) -> AsyncIterator[ControlPlaneHarness]:
    """TruePort with its guard on (the secrets detector), its control plane and webhook worker."""
    async with (
        MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock,
        running_platform(
            platform_settings(database_url, mock.url, guard={"enabled": True, "detectors": ["secrets"]})
        ) as harness,
    ):
        yield harness


async def _owner(platform: ControlPlaneHarness, slug: str = "acme") -> dict[str, str]:
    tenant = await platform.tenant(slug)
    owner = await platform.user(f"owner@{slug}.test")
    await platform.member(tenant, owner, "owner")
    return platform.auth(owner, tenant)


async def _suite(platform: ControlPlaneHarness, headers: dict[str, str], cases: list[dict[str, Any]]) -> str:
    created = await platform.client.post(
        "/api/v1/evals/suites", headers=headers, json={"name": "smoke", "kind": "guard", "cases": cases}
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_failing_case_fails_the_run_and_the_event_reaches_a_webhook(
    platform: ControlPlaneHarness,
) -> None:
    client = platform.client
    headers = await _owner(platform)
    async with receiving(Receiver(statuses=[])) as receiver:
        hook = await client.post(
            "/api/v1/webhooks",
            headers=headers,
            json={"url": f"{receiver.url}/hook", "topics": ["eval.events.v1"]},
        )
        assert hook.status_code == 201, hook.text
        receiver.secret = hook.json()["secret"]
        suite_id = await _suite(platform, headers, CASES)

        ran = await client.post(f"/api/v1/evals/suites/{suite_id}/runs", headers=headers)
        assert ran.status_code == 201, ran.text
        run = ran.json()
        assert (run["total"], run["passed"], run["failed"]) == (3, 2, True)
        assert run["pass_rate"] == pytest.approx(2 / 3, abs=1e-4)
        assert [r["passed"] for r in run["results"]] == [True, True, False]
        assert run["results"][0]["actual"]["secrets"] in ("blocked", "flagged")
        assert run["results"][2]["actual"] == {"secrets": "clean"}
        assert run["latency_p95_ms"] >= run["latency_p50_ms"] >= 0

        await receiver.wait_for(1)
    _, body, valid = receiver.requests[0]
    assert valid
    event = json.loads(body)
    assert event["topic"] == "eval.events.v1"
    assert event["data"]["kind"] == "eval.run.completed"
    assert event["data"]["run_id"] == run["id"]
    assert event["data"]["failed"] is True
    assert SECRET_TEXT not in body.decode()  # totals only, never the cases' texts

    # Fix the wrong case: the next run passes; history and trend show both.
    fixed = [*CASES[:2], {"text": "hello there", "expect": {"secrets": "clean"}}]
    patched = await client.patch(f"/api/v1/evals/suites/{suite_id}", headers=headers, json={"cases": fixed})
    assert patched.status_code == 200, patched.text
    second = (await client.post(f"/api/v1/evals/suites/{suite_id}/runs", headers=headers)).json()
    assert (second["passed"], second["failed"]) == (3, False)

    runs = (await client.get(f"/api/v1/evals/suites/{suite_id}/runs?limit=1", headers=headers)).json()
    assert [r["id"] for r in runs["data"]] == [run["id"]] and runs["next_cursor"]
    rest = await client.get(
        f"/api/v1/evals/suites/{suite_id}/runs", headers=headers, params={"cursor": runs["next_cursor"]}
    )
    assert [r["id"] for r in rest.json()["data"]] == [second["id"]]
    trend = (await client.get(f"/api/v1/evals/suites/{suite_id}/trend?last=5", headers=headers)).json()
    assert [p["pass_rate"] for p in trend["points"]] == pytest.approx([2 / 3, 1.0], abs=1e-4)
    assert trend["mean_pass_rate"] == pytest.approx(5 / 6, abs=1e-4)
    one = (await client.get(f"/api/v1/evals/runs/{run['id']}", headers=headers)).json()
    assert one["results"] == run["results"]

    deleted = await client.delete(f"/api/v1/evals/suites/{suite_id}", headers=headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/evals/runs/{run['id']}", headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "x", "cases": []}, "cases"),
        ({"name": "x", "cases": [{"text": "a", "expect": {"nonsense": "clean"}}]}, "unknown detector"),
        ({"name": "x", "cases": [{"text": "a", "expect": {"secrets": "maybe"}}]}, "expect"),
        ({"name": "x", "cases": [{"text": "", "expect": {"secrets": "clean"}}]}, "text"),
        ({"name": "x", "kind": "model", "cases": [{"text": "a", "expect": {"secrets": "clean"}}]}, "kind"),
        ({"name": "x", "kind": "route", "cases": [{"text": "a", "expect": {"secrets": "clean"}}]}, "prompt"),
        ({"name": "x", "cases": [{"text": "a", "expect": {"secrets": "clean"}}] * (MAX_CASES + 1)}, "cases"),
        (
            {"name": "x", "cases": [{"text": "a", "expect": {"secrets": "clean"}}], "schedule": "61 * * * *"},
            "outside",
        ),
        ({"name": "x", "cases": [{"text": "a" * 20_000, "expect": {"secrets": "clean"}}] * 51}, "total"),
    ],
)
async def test_invalid_suites_are_refused_with_the_error_shape(
    platform: ControlPlaneHarness, body: dict[str, Any], fragment: str
) -> None:
    headers = await _owner(platform)
    refused = await platform.client.post("/api/v1/evals/suites", headers=headers, json=body)
    assert refused.status_code in (400, 413, 422), refused.text
    error = refused.json()["error"]
    assert error["code"] and fragment in refused.text


async def test_builtin_suites_are_listed_runnable_and_read_only(platform: ControlPlaneHarness) -> None:
    client = platform.client
    headers = await _owner(platform)
    builtins = (await client.get("/api/v1/evals/builtins", headers=headers)).json()
    by_id = {suite["id"]: suite for suite in builtins}
    assert set(by_id) == {"builtin:bias-heldout", "builtin:secrets-heldout"}
    assert by_id["builtin:secrets-heldout"]["case_count"] == 603

    ran = await client.post("/api/v1/evals/suites/builtin:secrets-heldout/runs", headers=headers)
    assert ran.status_code == 201, ran.text
    run = ran.json()
    assert run["total"] == 603 and len(run["results"]) == 603
    assert 0.8 < run["pass_rate"] < 1.0  # the detector's measured held-out quality, not perfection
    listed = (await client.get("/api/v1/evals/suites/builtin:secrets-heldout/runs", headers=headers)).json()
    assert [r["id"] for r in listed["data"]] == [run["id"]]

    for method in ("PATCH", "DELETE"):
        refused = await client.request(
            method, "/api/v1/evals/suites/builtin:secrets-heldout", headers=headers, json={"name": "mine"}
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "builtin_read_only"
    assert (await client.get("/api/v1/evals/suites/builtin:nothing", headers=headers)).status_code == 404


async def test_runs_need_the_guard(database_url: str) -> None:
    async with (
        MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock,
        running_platform(platform_settings(database_url, mock.url)) as platform,
    ):
        headers = await _owner(platform)
        suite_id = await _suite(platform, headers, CASES)
        refused = await platform.client.post(f"/api/v1/evals/suites/{suite_id}/runs", headers=headers)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "guard_disabled"


async def test_another_tenants_suites_and_runs_are_not_found(platform: ControlPlaneHarness) -> None:
    client = platform.client
    a, b = await _owner(platform, "acme"), await _owner(platform, "beta")
    suite_id = await _suite(platform, b, CASES)
    run_id = (await client.post(f"/api/v1/evals/suites/{suite_id}/runs", headers=b)).json()["id"]
    for method, path in [
        ("GET", f"/api/v1/evals/suites/{suite_id}"),
        ("PATCH", f"/api/v1/evals/suites/{suite_id}"),
        ("POST", f"/api/v1/evals/suites/{suite_id}/runs"),
        ("GET", f"/api/v1/evals/suites/{suite_id}/runs"),
        ("GET", f"/api/v1/evals/suites/{suite_id}/trend"),
        ("GET", f"/api/v1/evals/runs/{run_id}"),
        ("DELETE", f"/api/v1/evals/suites/{suite_id}"),
    ]:
        answer = await client.request(
            method, path, headers=a, json={"name": "x"} if method == "PATCH" else None
        )
        assert answer.status_code == 404, (method, path, answer.text)
    assert (await client.get("/api/v1/evals/suites", headers=a)).json()["data"] == []
    assert (await client.get(f"/api/v1/evals/suites/{suite_id}", headers=b)).status_code == 200
