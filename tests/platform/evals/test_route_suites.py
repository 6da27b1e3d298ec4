"""Route eval suites end to end, on SQLite and PostgreSQL: a scheduled suite runs through the real
gateway (its own ASGI app) to the provider emulator; regex, JSON-schema, latency, cost and guard
checks pass and fail when they should; the run's event reaches a real webhook receiver; its calls
are in the tenant's request records and audit trail under the suite's eval key; another tenant's
route can be named by no suite; and ``trueport eval-worker --gateway-url`` runs one over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from tests.gateway.harness import PROVIDER_KEY
from tests.jobs.test_webhooks import Receiver, receiving
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.db.models import EvalSuite, utcnow
from trueport.jobs.eval_worker import run_eval_worker
from trueport.mockprovider import MockProvider

SECRET = "my token is ghp_R8uT2bX9kLm4Qw7Zs1Vn6Yc3Hf5Jd0PeAa1B ok"
SCHEMA = {
    "type": "object",
    "required": ["status", "count"],
    "properties": {"status": {"enum": ["ok"]}, "count": {"type": "integer"}},
}
# The emulator answers "Echo: <the user message>".
CASES: list[dict[str, Any]] = [
    {"prompt": "order 42 shipped", "expect": {"regex": r"^Echo: order \d+ shipped$"}},
    {"prompt": '{"status": "ok", "count": 3}', "expect": {"json_schema": SCHEMA}},
    {"prompt": '{"status": "ok", "count": "three"}', "expect": {"json_schema": SCHEMA}},
    {"prompt": "hello", "expect": {"regex": "^Goodbye"}},
    {"prompt": "hello", "expect": {"max_latency_ms": 0.001}},
    {"prompt": "hello", "expect": {"max_latency_ms": 10_000, "max_cost_usd": 0.01}},
    {"prompt": SECRET, "expect": {"guard": {"secrets": "blocked"}}},
    {"prompt": "what is the time?", "expect": {"guard": {"secrets": "clean"}, "max_cost_usd": 0}},
]
EXPECTED_PASSES = [True, True, False, False, False, True, True, False]


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as provider:
        yield provider


@pytest.fixture
async def platform(database_url: str, mock: MockProvider) -> AsyncIterator[ControlPlaneHarness]:
    settings = platform_settings(database_url, mock.url, guard={"enabled": True, "detectors": ["secrets"]})
    async with running_platform(settings) as harness:
        yield harness


async def _owner(platform: ControlPlaneHarness, slug: str) -> dict[str, str]:
    """The tenant's owner; the tenant has no policy of its own, so the installation's default runs:
    the built-in one, limited to the detector installed here (secrets)."""
    tenant = await platform.tenant(slug)
    owner = await platform.user(f"owner@{slug}.test")
    await platform.member(tenant, owner, "owner")
    return platform.auth(owner, tenant)


async def _webhook(platform: ControlPlaneHarness, headers: dict[str, str], receiver: Receiver) -> None:
    hook = await platform.client.post(
        "/api/v1/webhooks",
        headers=headers,
        json={"url": f"{receiver.url}/hook", "topics": ["eval.events.v1"]},
    )
    assert hook.status_code == 201, hook.text
    receiver.secret = hook.json()["secret"]


async def _make_due(platform: ControlPlaneHarness, suite_id: str) -> None:
    async with platform.sessions() as session:
        await session.execute(
            update(EvalSuite)
            .where(EvalSuite.id == suite_id)
            .values(next_run_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()


async def _records(
    platform: ControlPlaneHarness, headers: dict[str, str], key_id: str, count: int
) -> list[dict[str, Any]]:
    """The key's request records, once ``count`` of them are written (the recorder writes in batches)."""
    async with asyncio.timeout(15):
        while True:
            page = await platform.client.get(
                "/api/v1/usage/records", headers=headers, params={"key_id": key_id, "limit": 100}
            )
            assert page.status_code == 200, page.text
            rows: list[dict[str, Any]] = page.json()["data"]
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.1)


async def test_a_scheduled_route_suite_runs_through_the_gateway_and_alerts_a_webhook(
    platform: ControlPlaneHarness, mock: MockProvider
) -> None:
    client = platform.client
    headers = await _owner(platform, "acme")
    async with receiving(Receiver(statuses=[])) as receiver:
        await _webhook(platform, headers, receiver)
        created = await client.post(
            "/api/v1/evals/suites",
            headers=headers,
            json={
                "name": "support answers",
                "kind": "route",
                "route": "oa",
                "max_tokens": 50,
                "schedule": "*/5 * * * *",
                "cases": CASES,
            },
        )
        assert created.status_code == 201, created.text
        suite = created.json()
        assert suite["route"] == "oa" and suite["key_id"] and suite["next_run_at"]
        keys = (await client.get("/api/v1/keys", headers=headers)).json()["data"]
        listed = [key for key in keys if key["id"] == suite["key_id"]]
        assert listed and listed[0]["name"] == "eval: support answers" and listed[0]["models"] == ["oa"]
        assert listed[0]["status"] == "expired"  # usable only while a run is in progress

        # The scheduler of the serving process: not due yet, then due once.
        scheduler = platform.app.resources.evals if platform.app.resources else None
        assert scheduler is not None
        assert await scheduler.run_due() == []
        mock.clear_requests()
        await _make_due(platform, suite["id"])
        runs = await scheduler.run_due()
        assert len(runs) == 1

        await receiver.wait_for(1)
    run = (await client.get(f"/api/v1/evals/runs/{runs[0].id}", headers=headers)).json()
    assert run["trigger"] == "schedule" and run["route"] == "oa"
    assert [r["passed"] for r in run["results"]] == EXPECTED_PASSES
    assert (run["total"], run["passed"], run["failed"]) == (8, 4, True)
    failures = [r["failures"] for r in run["results"]]
    assert failures[2][0].startswith("json_schema: at count: fails 'type'")
    assert failures[3] == ["regex: no match of '^Goodbye' in the answer"]
    assert failures[4][0].startswith("latency: ")
    assert failures[7][0].startswith("cost: ")  # a priced model costs more than 0
    assert run["results"][6]["actual"]["status"] == 400
    assert run["results"][6]["actual"]["guard"] == {"secrets": "blocked"}
    assert run["results"][0]["actual"]["status"] == 200 and run["results"][0]["actual"]["cost_usd"] > 0
    assert "three" not in json.dumps(run) and SECRET not in json.dumps(run)  # no prompt or answer kept

    # The calls reached the emulator through the gateway: all but the one the guard blocked.
    chats = [r for r in mock.requests if r["path"] == "/v1/chat/completions"]
    assert len(chats) == 7
    assert all(r["body"]["model"] == "gpt-4o-mini" and r["body"]["max_tokens"] == 50 for r in chats)
    assert SECRET not in json.dumps([r["body"] for r in chats])

    # The event: totals, the route and the cost, never the texts; signed.
    _, body, valid = receiver.requests[0]
    event = json.loads(body)
    assert valid and event["data"]["kind"] == "eval.run.completed" and event["data"]["failed"] is True
    assert event["data"]["route"] == "oa" and event["data"]["cost_usd"] == pytest.approx(run["cost_usd"])
    assert "order 42" not in body.decode()

    # Eval traffic: every call is a request record of the suite's key, billed at the run's cost, and
    # a data-plane audit event of that key.
    records = await _records(platform, headers, suite["key_id"], 8)
    assert sorted(r["status_code"] for r in records) == [200] * 7 + [400]
    assert {r["id"] for r in records} == {r["request_id"] for r in run["results"]}
    assert sum(float(r["cost_usd"] or 0) for r in records) == pytest.approx(run["cost_usd"], rel=1e-6)
    audit = (
        await client.get("/api/v1/audit/events", headers=headers, params={"kind": "data_plane", "limit": 100})
    ).json()["data"]
    audited = {e["event"]["request_id"] for e in audit if e["event"].get("key_id") == suite["key_id"]}
    assert audited == {r["request_id"] for r in run["results"]}

    # The key is expired again once the run is over; history and trend keep the runs.
    key = (await client.get(f"/api/v1/keys/{suite['key_id']}", headers=headers)).json()
    assert key["status"] == "expired"
    fixed = [
        {**case, "expect": {}} if not ok else case for case, ok in zip(CASES, EXPECTED_PASSES, strict=True)
    ]
    patched = await client.patch(
        f"/api/v1/evals/suites/{suite['id']}", headers=headers, json={"cases": fixed}
    )
    assert patched.status_code == 200, patched.text
    second = await client.post(f"/api/v1/evals/suites/{suite['id']}/runs", headers=headers)
    assert second.status_code == 201, second.text
    assert (second.json()["passed"], second.json()["failed"]) == (8, False)
    trend = (await client.get(f"/api/v1/evals/suites/{suite['id']}/trend", headers=headers)).json()
    assert [p["pass_rate"] for p in trend["points"]] == [0.5, 1.0]

    # Deleting the suite revokes its key.
    assert (await client.delete(f"/api/v1/evals/suites/{suite['id']}", headers=headers)).status_code == 204
    key = (await client.get(f"/api/v1/keys/{suite['key_id']}", headers=headers)).json()
    assert key["status"] == "revoked"


async def test_a_suite_can_name_only_its_own_tenants_routes(platform: ControlPlaneHarness) -> None:
    client = platform.client
    acme, globex = await _owner(platform, "acme"), await _owner(platform, "globex")
    route = await client.post(
        "/api/v1/routes",
        headers=acme,
        json={"alias": "acme-only", "targets": [{"provider": "oa", "model": "m"}]},
    )
    assert route.status_code == 201, route.text
    body = {
        "name": "s",
        "kind": "route",
        "route": "acme-only",
        "cases": [{"prompt": "hi", "expect": {"regex": "hi"}}],
    }

    mine = await client.post("/api/v1/evals/suites", headers=acme, json=body)
    assert mine.status_code == 201, mine.text
    ran = (await client.post(f"/api/v1/evals/suites/{mine.json()['id']}/runs", headers=acme)).json()
    assert ran["passed"] == 1, ran  # acme's own route, through the gateway, to the emulator

    theirs = await client.post("/api/v1/evals/suites", headers=globex, json=body)
    assert theirs.status_code == 400 and theirs.json()["error"]["code"] == "validation_failed", theirs.text
    own = await client.post("/api/v1/evals/suites", headers=globex, json={**body, "route": "oa"})
    assert own.status_code == 201, own.text
    moved = await client.patch(
        f"/api/v1/evals/suites/{own.json()['id']}", headers=globex, json={"route": "acme-only"}
    )
    assert moved.status_code == 400, moved.text
    for method, path in (
        ("GET", f"/api/v1/evals/suites/{mine.json()['id']}"),
        ("POST", f"/api/v1/evals/suites/{mine.json()['id']}/runs"),
        ("GET", f"/api/v1/evals/runs/{ran['id']}"),
        ("GET", f"/api/v1/keys/{mine.json()['key_id']}"),
    ):
        assert (await client.request(method, path, headers=globex)).status_code == 404, (method, path)

    # Even if globex's suite row named acme's key or route, the run calls as globex's own key, which
    # the gateway resolves within globex: acme's route does not exist there.
    async with platform.sessions() as session:
        await session.execute(
            update(EvalSuite).where(EvalSuite.id == own.json()["id"]).values(route="acme-only")
        )
        await session.commit()
    stolen = (await client.post(f"/api/v1/evals/suites/{own.json()['id']}/runs", headers=globex)).json()
    assert stolen["failed"] is True
    assert stolen["results"][0]["actual"] | {"cost_usd": 0} == {
        "status": 404,
        "error": "model_not_found",
        "guard": {},
        "cost_usd": 0,
    }


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"kind": "route", "cases": [{"prompt": "a"}]}, "names its route"),
        ({"kind": "route", "route": "oa", "cases": [{"prompt": "a", "expect": {"regex": "("}}]}, "regular"),
        (
            {
                "kind": "route",
                "route": "oa",
                "cases": [{"prompt": "a", "expect": {"json_schema": {"type": 3}}}],
            },
            "JSON Schema",
        ),
        (
            {"kind": "route", "route": "oa", "cases": [{"prompt": "a", "expect": {"guard": {"x": "clean"}}}]},
            "unknown",
        ),
        (
            {
                "kind": "route",
                "route": "oa",
                "cases": [{"prompt": "a", "expect": {"guard": {"secrets": "blocked"}, "regex": "a"}}],
            },
            "no answer",
        ),
        (
            {
                "kind": "route",
                "route": "oa",
                "cases": [{"prompt": "a", "expect": {"regex": "a{9999999999}"}}],
            },
            "regular",
        ),
        (
            {
                "kind": "route",
                "route": "oa",
                "cases": [{"prompt": "a", "expect": {"json_schema": {"maximum": 2**70}}}],
            },
            "cannot be stored",
        ),
        ({"kind": "route", "route": "oa", "cases": [{"prompt": "a"}] * 201}, "at most 200"),
        ({"kind": "guard", "route": "oa", "cases": [{"text": "a", "expect": {"secrets": "clean"}}]}, "route"),
        ({"kind": "route", "route": "nope", "cases": [{"prompt": "a"}]}, "no route"),
    ],
)
async def test_invalid_route_suites_are_refused(
    platform: ControlPlaneHarness, body: dict[str, Any], fragment: str
) -> None:
    headers = await _owner(platform, "acme")
    refused = await platform.client.post("/api/v1/evals/suites", headers=headers, json={"name": "x", **body})
    assert refused.status_code in (400, 422), refused.text
    assert refused.json()["error"]["code"] == "validation_failed" and fragment in refused.text


async def test_the_worker_runs_a_route_suite_against_a_running_gateway(
    database_url: str, redis_url: str, mock: MockProvider
) -> None:
    serving = platform_settings(database_url, mock.url, redis=redis_url)  # no guard needed for route suites
    async with running_platform(serving) as platform, receiving(Receiver(statuses=[])) as receiver:
        assert platform.app.resources is not None and platform.app.resources.evals is not None
        await platform.app.resources.evals.stop()  # the worker, not this process, is to run the suite
        headers = await _owner(platform, "acme")
        await _webhook(platform, headers, receiver)
        created = await platform.client.post(
            "/api/v1/evals/suites",
            headers=headers,
            json={
                "name": "hourly",
                "kind": "route",
                "route": "oa",
                "schedule": "0 * * * *",
                "cases": [{"prompt": "ping", "expect": {"regex": "^Echo: ping$", "max_latency_ms": 10_000}}],
            },
        )
        assert created.status_code == 201, created.text
        suite = created.json()
        await _make_due(platform, suite["id"])
        worker = platform_settings(
            database_url, mock.url, redis=redis_url, guard={"enabled": True, "detectors": ["secrets"]}
        )
        assert await run_eval_worker(worker, once=True, poll_s=1.0) == 0  # no gateway: left alone
        assert await run_eval_worker(worker, once=True, poll_s=1.0, gateway_url=platform.url) == 1

        await receiver.wait_for(1)
        event = json.loads(receiver.requests[0][1])["data"]
        assert (event["suite_id"], event["failed"], event["passed"]) == (suite["id"], False, 1)
        # The call went to the serving process over HTTP, which recorded it under the eval key.
        records = await _records(platform, headers, suite["key_id"], 1)
        assert [(r["status_code"], r["alias"]) for r in records] == [(200, "oa")]

        # A gateway that cannot be reached fails the cases, not the run: the alert still goes out.
        await _make_due(platform, suite["id"])
        assert await run_eval_worker(worker, once=True, poll_s=1.0, gateway_url="http://127.0.0.1:9") == 1
        await receiver.wait_for(2)
        event = json.loads(receiver.requests[1][1])["data"]
        assert (event["failed"], event["passed"]) == (True, 0)
        run = (await platform.client.get(f"/api/v1/evals/runs/{event['run_id']}", headers=headers)).json()
        assert run["results"][0]["failures"] == ["status: 0 no_answer"]
