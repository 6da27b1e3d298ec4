"""The eval scheduler in a running TruePort (guard on), on SQLite and PostgreSQL: a suite whose
schedule is due is run once (two schedulers racing run it once), its next time moves on, and its
``eval.run.completed`` event reaches a real webhook receiver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from tests.gateway.harness import PROVIDER_KEY
from tests.jobs.test_webhooks import Receiver, receiving
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.db.models import EvalSuite, utcnow
from trueport.jobs.evals import EvalScheduler
from trueport.mockprovider import MockProvider

CASES = [
    {"text": "my token is ghp_R8uT2bX9kLm4Qw7Zs1Vn6Yc3Hf5Jd0PeAa1B ok", "expect": {"secrets": "detected"}},
    {"text": "hello there", "expect": {"secrets": "blocked"}},  # fails: the suite's alert
]


@pytest.fixture
async def platform(database_url: str) -> AsyncIterator[ControlPlaneHarness]:
    async with (
        MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock,
        running_platform(
            platform_settings(database_url, mock.url, guard={"enabled": True, "detectors": ["secrets"]})
        ) as harness,
    ):
        yield harness


def _scheduler(platform: ControlPlaneHarness) -> EvalScheduler:
    assert platform.app.resources is not None and platform.app.resources.evals is not None
    return platform.app.resources.evals


async def test_a_due_suite_runs_once_and_its_failure_reaches_a_webhook(platform: ControlPlaneHarness) -> None:
    client = platform.client
    tenant = await platform.tenant("acme")
    owner = await platform.user("owner@acme.test")
    await platform.member(tenant, owner, "owner")
    headers = platform.auth(owner, tenant)
    async with receiving(Receiver(statuses=[])) as receiver:
        hook = await client.post(
            "/api/v1/webhooks",
            headers=headers,
            json={"url": f"{receiver.url}/hook", "topics": ["eval.events.v1"]},
        )
        assert hook.status_code == 201, hook.text
        receiver.secret = hook.json()["secret"]
        created = await client.post(
            "/api/v1/evals/suites",
            headers=headers,
            json={"name": "nightly", "cases": CASES, "schedule": "0 3 * * *"},
        )
        assert created.status_code == 201, created.text
        suite = created.json()
        assert suite["schedule"] == "0 3 * * *" and suite["next_run_at"].endswith("03:00:00Z")

        scheduler = _scheduler(platform)
        assert await scheduler.run_due() == []  # not due yet
        now = utcnow()
        async with platform.sessions() as session:  # the schedule's time has come
            await session.execute(
                update(EvalSuite)
                .where(EvalSuite.id == suite["id"])
                .values(next_run_at=now - timedelta(seconds=1))
            )
            await session.commit()
        first, second = await asyncio.gather(scheduler.run_due(now), scheduler.run_due(now))
        runs = first + second
        assert len(runs) == 1  # claimed by one of the two
        assert (runs[0].trigger, runs[0].failed, runs[0].passed, runs[0].total) == ("schedule", True, 1, 2)
        assert await scheduler.run_due(now) == []

        await receiver.wait_for(1)
    _, body, valid = receiver.requests[0]
    event = json.loads(body)
    assert valid and event["topic"] == "eval.events.v1"
    assert event["data"]["kind"] == "eval.run.completed" and event["data"]["failed"] is True
    assert event["data"]["trigger"] == "schedule" and event["data"]["suite_id"] == suite["id"]

    after = (await client.get(f"/api/v1/evals/suites/{suite['id']}", headers=headers)).json()
    assert after["next_run_at"] > now.isoformat()[:19] and after["next_run_at"].endswith("03:00:00Z")
    listed = (await client.get(f"/api/v1/evals/suites/{suite['id']}/runs", headers=headers)).json()
    assert [r["trigger"] for r in listed["data"]] == ["schedule"]

    unscheduled = await client.patch(
        f"/api/v1/evals/suites/{suite['id']}", headers=headers, json={"schedule": None}
    )
    assert unscheduled.json()["next_run_at"] is None and unscheduled.json()["schedule"] is None
