"""``trueport eval-worker --once`` beside a running TruePort sharing PostgreSQL/SQLite and Redis: it
runs the due suite under the tenant's saved policy and its event reaches the webhook that the
serving process delivers (over Redis Streams)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from tests.gateway.harness import PROVIDER_KEY
from tests.jobs.test_webhooks import Receiver, receiving
from tests.platform.harness import platform_settings, running_platform

from trueport.db.models import EvalSuite, utcnow
from trueport.errors import ConfigError
from trueport.jobs.eval_worker import run_eval_worker
from trueport.mockprovider import MockProvider

CASES = [
    {"text": "my token is ghp_R8uT2bX9kLm4Qw7Zs1Vn6Yc3Hf5Jd0PeAa1B ok", "expect": {"secrets": "blocked"}}
]


async def test_the_worker_runs_a_due_suite_and_its_event_reaches_a_webhook(
    database_url: str, redis_url: str
) -> None:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        serving = platform_settings(database_url, mock.url, redis=redis_url)  # guard off: no scheduler here
        async with running_platform(serving) as platform, receiving(Receiver(statuses=[])) as receiver:
            assert platform.app.resources is not None and platform.app.resources.evals is not None
            # This process has no guard: its scheduler leaves guard suites to one that has (the worker).
            assert await platform.app.resources.evals.run_due(utcnow() + timedelta(days=1)) == []
            client = platform.client
            tenant = await platform.tenant("acme")
            owner = await platform.user("owner@acme.test")
            await platform.member(tenant, owner, "owner")
            headers = platform.auth(owner, tenant)
            hook = await client.post(
                "/api/v1/webhooks",
                headers=headers,
                json={"url": f"{receiver.url}/hook", "topics": ["eval.events.v1"]},
            )
            assert hook.status_code == 201, hook.text
            receiver.secret = hook.json()["secret"]
            # The tenant's policy flags secrets instead of blocking them: the worker must apply it.
            policy = (await client.get("/api/v1/policies/default", headers=headers)).json()["policy"]
            policy["detectors"]["secrets"]["input"]["action"] = "flag"
            saved = await client.put("/api/v1/policies/active", headers=headers, json={"policy": policy})
            assert saved.status_code == 201, saved.text
            created = await client.post(
                "/api/v1/evals/suites",
                headers=headers,
                json={"name": "hourly", "cases": CASES, "schedule": "0 * * * *"},
            )
            assert created.status_code == 201, created.text
            suite_id = created.json()["id"]

            worker = platform_settings(
                database_url, mock.url, redis=redis_url, guard={"enabled": True, "detectors": ["secrets"]}
            )
            assert await run_eval_worker(worker, once=True, poll_s=1.0) == 0  # not due yet
            async with platform.sessions() as session:
                await session.execute(
                    update(EvalSuite)
                    .where(EvalSuite.id == suite_id)
                    .values(next_run_at=utcnow() - timedelta(seconds=1))
                )
                await session.commit()
            assert await run_eval_worker(worker, once=True, poll_s=1.0) == 1

            await receiver.wait_for(1)
            event = json.loads(receiver.requests[0][1])
            assert event["data"]["kind"] == "eval.run.completed" and event["data"]["suite_id"] == suite_id
            assert event["data"]["failed"] is True  # flagged under the tenant's policy, not blocked
            runs = (await client.get(f"/api/v1/evals/suites/{suite_id}/runs", headers=headers)).json()["data"]
            run = (await client.get(f"/api/v1/evals/runs/{runs[0]['id']}", headers=headers)).json()
            assert run["results"][0]["actual"] == {"secrets": "flagged"} and run["trigger"] == "schedule"


async def test_the_worker_needs_the_guard(database_url: str) -> None:
    with pytest.raises(ConfigError, match=r"guard\.enabled"):
        await run_eval_worker(platform_settings(database_url, "http://127.0.0.1:9"), once=True, poll_s=1.0)
