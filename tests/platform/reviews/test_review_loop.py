"""Human review that closes the loop: inline flags become review items when the policy says so, items
are assigned to members (who are mailed), fall overdue after the SLA, publish ``review.resolved``
(to a webhook subscriber too) and export as labelled lines; none of it crosses tenants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from tests.jobs.test_webhooks import Receiver, receiving
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform
from tests.platform.policies.conftest import Team, team
from tests.platform.reviews.test_reviews import INJECTION, chat, key_of, reviews

from support.smtp import SmtpSink, body_text
from trueport.audit.tables import AuditEventRow
from trueport.db.models import ReviewItem
from trueport.guard.policy import default_policy
from trueport.mockprovider import MockProvider
from trueport.platform.rbac import Role


@pytest.fixture
async def guarded(
    database_url: str, mock: MockProvider, smtp: SmtpSink
) -> AsyncIterator[ControlPlaneHarness]:
    settings = platform_settings(database_url, mock.url, guard={"enabled": True}, mail=smtp.mail_settings())
    async with running_platform(settings) as harness:
        yield harness


async def flagging_policy(
    platform: ControlPlaneHarness,
    team: Team,
    review: dict[str, Any] | None,
    output: dict[str, Any] | None = None,
) -> None:
    """Save a policy flagging injection inline (input, and ``output`` if given; never blocking), with
    ``review`` if given."""
    policy = default_policy().model_dump(mode="json")
    policy["detectors"]["injection"] = {"input": {"action": "flag"}, "output": output or {"action": "off"}}
    if review is not None:
        policy["review"] = review
    saved = await platform.client.put(
        "/api/v1/policies/active", json={"policy": policy}, headers=team.headers[Role.ADMIN]
    )
    assert saved.status_code == 201, saved.text
    guard = platform.app.gateway.guard
    assert guard is not None
    for _ in range(100):
        engine = guard.policies.engine_for(team.tenant.id)
        if engine is not guard.policies.installation and engine.policy.version == saved.json()["version"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not load the policy")


async def recorded(platform: ControlPlaneHarness) -> None:
    while platform.app.gateway.active_calls:
        await asyncio.sleep(0.01)
    await platform.app.gateway.records.flush()


async def raised_item(
    platform: ControlPlaneHarness, team: Team, *, age: timedelta = timedelta(0), **values: Any
) -> str:
    """An open item of ``team`` raised ``age`` ago, straight in the database (as the writers make them)."""
    item = ReviewItem(
        tenant_id=team.tenant.id,
        request_id="9b2e4c1a-7d3f-4e8b-a6c5-0f1e2d3c4b5a",
        direction="input",
        detector=values.pop("detector", "injection"),
        type=values.pop("type", "prompt_injection"),
        score=0.93,
        location="messages[0].content",
        policy_version=1,
        created_at=datetime.now(UTC) - age,
        **values,
    )
    async with platform.sessions() as session:
        session.add(item)
        await session.commit()
    return item.id


async def audited_changes(platform: ControlPlaneHarness, object_type: str) -> list[dict[str, Any]]:
    """The audit events about rows of ``object_type``, once the audit log has some (it is written by
    the recorder, after the answer's events were made durable)."""
    for _ in range(200):
        async with platform.sessions() as session:
            bodies = (await session.execute(select(AuditEventRow.body))).scalars()
            found = [e for e in map(orjson.loads, map(bytes, bodies)) if e.get("object_type") == object_type]
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


async def test_inline_flags_become_review_items_only_when_the_policy_says_so(
    guarded: ControlPlaneHarness,
) -> None:
    acme, globex = await team(guarded, "acme"), await team(guarded, "globex")
    key = await key_of(guarded, acme)
    events = guarded.app.gateway.events
    assert events is not None
    hitl = events.consumer(["hitl.events.v1"], "test-inline-reviews", "r1")

    await flagging_policy(guarded, acme, None)
    unreviewed = await chat(guarded, key)
    assert unreviewed.status_code == 200, unreviewed.text
    await recorded(guarded)
    flagged = await guarded.client.get(
        f"/api/v1/violations?request_id={unreviewed.headers['x-request-id']}&detector=injection",
        headers=acme.headers[Role.AUDITOR],
    )
    assert [v["action"] for v in flagged.json()["data"]] == ["flag"]
    assert await reviews(guarded, acme) == []

    await flagging_policy(guarded, acme, {"flagged": True})
    answered = await chat(guarded, key)
    assert answered.status_code == 200
    request_id = answered.headers["x-request-id"]
    await recorded(guarded)
    items = await reviews(guarded, acme)
    assert [(i["request_id"], i["direction"], i["detector"], i["status"]) for i in items] == [
        (request_id, "input", "injection", "open")
    ]
    assert items[0]["policy_version"] == 2 and items[0]["assignee_id"] is None
    assert items[0]["overdue"] is False
    due = datetime.fromisoformat(items[0]["due_at"]) - datetime.fromisoformat(items[0]["created_at"])
    assert due == timedelta(hours=24)
    assert INJECTION not in str(items)
    await events.flush()
    delivered = await hitl.read(count=10, block_s=2.0)
    assert [(d.event.tenant_id, d.event.data["kind"], d.event.data["review_id"]) for d in delivered] == [
        (acme.tenant.id, "review.created", items[0]["id"])
    ]
    assert await reviews(guarded, globex) == []


async def test_a_streamed_answer_s_flags_go_to_review_per_direction(guarded: ControlPlaneHarness) -> None:
    """Only the output direction asks for review (``output.review``): the answer's flag, found by the
    stream guard, becomes an item; the prompt's flag stays a violation."""
    acme = await team(guarded, "acme")
    key = await key_of(guarded, acme)
    await flagging_policy(guarded, acme, None, output={"action": "flag", "review": True})
    streamed = await chat(guarded, key, stream=True)
    assert streamed.status_code == 200 and "[DONE]" in streamed.text
    await recorded(guarded)
    items = await reviews(guarded, acme)
    assert [(i["request_id"], i["direction"], i["detector"]) for i in items] == [
        (streamed.headers["x-request-id"], "output", "injection")
    ]


async def test_assignment_validates_membership_and_mails_the_assignee(
    guarded: ControlPlaneHarness, smtp: SmtpSink
) -> None:
    acme, globex = await team(guarded, "acme"), await team(guarded, "globex")
    review_id = await raised_item(guarded, acme)
    path = f"/api/v1/reviews/{review_id}/assign"
    member = acme.users[Role.MEMBER]

    assigned = await guarded.client.post(path, json={"user_id": member.id}, headers=acme.headers[Role.ADMIN])
    assert assigned.status_code == 200, assigned.text
    body = assigned.json()
    assert body["assignee_id"] == member.id and body["assigned_at"] is not None and body["email_sent"] is True
    mail = await smtp.wait_for(member.email)
    text = body_text(mail)
    assert review_id in text and "injection / prompt_injection" in text and "/guard/reviews" in text
    assert "assigned to you" in str(mail["Subject"])
    assert [i["id"] for i in await reviews(guarded, acme, f"?assignee={member.id}")] == [review_id]
    [change] = await audited_changes(guarded, "review_items")
    assert change["object_id"] == review_id and change["actor"] == f"user:{acme.users[Role.ADMIN].id}"
    assert change["before"]["assignee_id"] is None and change["after"]["assignee_id"] == member.id
    assert await reviews(guarded, acme, f"?assignee={acme.users[Role.OWNER].id}") == []

    stranger = await guarded.client.post(
        path, json={"user_id": globex.users[Role.OWNER].id}, headers=acme.headers[Role.ADMIN]
    )
    assert stranger.status_code == 400 and stranger.json()["error"]["code"] == "not_a_member"
    nobody = await guarded.client.post(
        path, json={"user_id": "00000000-0000-4000-8000-000000000000"}, headers=acme.headers[Role.ADMIN]
    )
    assert nobody.status_code == 400
    auditor = await guarded.client.post(path, json={"user_id": member.id}, headers=acme.headers[Role.AUDITOR])
    assert auditor.status_code == 403
    theirs = await guarded.client.post(
        path, json={"user_id": globex.users[Role.OWNER].id}, headers=globex.headers[Role.OWNER]
    )
    assert theirs.status_code == 404
    assert len(smtp.messages) == 1  # only the real assignment mailed anyone

    unassigned = await guarded.client.post(path, json={"user_id": None}, headers=acme.headers[Role.OWNER])
    assert unassigned.status_code == 200
    assert unassigned.json()["assignee_id"] is None and unassigned.json()["email_sent"] is False
    resolved = await guarded.client.post(
        f"/api/v1/reviews/{review_id}/resolve", json={"status": "dismissed"}, headers=acme.headers[Role.ADMIN]
    )
    assert resolved.status_code == 200
    late = await guarded.client.post(path, json={"user_id": member.id}, headers=acme.headers[Role.ADMIN])
    assert late.status_code == 409 and late.json()["error"]["code"] == "review_resolved"


async def test_resolving_publishes_review_resolved_to_a_webhook_subscriber(
    guarded: ControlPlaneHarness,
) -> None:
    acme = await team(guarded, "acme")
    review_id = await raised_item(guarded, acme)
    events = guarded.app.gateway.events
    assert events is not None
    hitl = events.consumer(["hitl.events.v1"], "test-resolved", "r1")
    async with receiving(Receiver(statuses=[])) as receiver:
        created = await guarded.client.post(
            "/api/v1/webhooks",
            headers=acme.headers[Role.OWNER],
            json={"url": f"{receiver.url}/hook", "topics": ["hitl.events.v1"]},
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]

        resolved = await guarded.client.post(
            f"/api/v1/reviews/{review_id}/resolve",
            json={"status": "confirmed", "note": "a private remark"},
            headers=acme.headers[Role.ADMIN],
        )
        assert resolved.status_code == 200, resolved.text
        await events.flush()
        await receiver.wait_for(1)
    _headers, body, valid = receiver.requests[0]
    assert valid
    event = orjson.loads(body)
    assert event["topic"] == "hitl.events.v1" and event["tenant_id"] == acme.tenant.id
    data = event["data"]
    assert data["kind"] == "review.resolved" and data["review_id"] == review_id
    assert data["status"] == "confirmed" and data["resolved_by"] == acme.users[Role.ADMIN].id
    assert data["resolved_at"] is not None and "a private remark" not in body.decode()
    read = await hitl.read(count=10, block_s=2.0)
    assert [d.event.data["kind"] for d in read] == ["review.resolved"]


async def test_overdue_items_are_filterable(guarded: ControlPlaneHarness) -> None:
    acme, globex = await team(guarded, "acme"), await team(guarded, "globex")
    late = await raised_item(guarded, acme, age=timedelta(hours=30))
    fresh = await raised_item(guarded, acme, age=timedelta(hours=2))
    done = await raised_item(
        guarded, acme, age=timedelta(hours=50), status="confirmed", resolved_at=datetime.now(UTC)
    )
    await raised_item(guarded, globex, age=timedelta(hours=40))

    overdue = await reviews(guarded, acme, "?overdue=true")
    assert [i["id"] for i in overdue] == [late]
    assert overdue[0]["overdue"] is True
    assert datetime.fromisoformat(overdue[0]["due_at"]) < datetime.now(UTC)
    assert [i["id"] for i in await reviews(guarded, acme, "?overdue=false")] == [done, fresh]
    assert {i["id"]: i["overdue"] for i in await reviews(guarded, acme)} == {
        done: False,
        late: True,
        fresh: False,
    }
    assert len(await reviews(guarded, globex, "?overdue=true")) == 1


async def test_resolved_items_export_as_labelled_lines_per_tenant(guarded: ControlPlaneHarness) -> None:
    acme, globex = await team(guarded, "acme"), await team(guarded, "globex")
    confirmed = await raised_item(guarded, acme)
    dismissed = await raised_item(guarded, acme, detector="pii", type="email")
    await raised_item(guarded, acme)  # still open: not exported
    await raised_item(guarded, globex)
    for review_id, verdict in ((confirmed, "confirmed"), (dismissed, "dismissed")):
        resolved = await guarded.client.post(
            f"/api/v1/reviews/{review_id}/resolve", json={"status": verdict}, headers=acme.headers[Role.ADMIN]
        )
        assert resolved.status_code == 200

    exported = await guarded.client.get(
        "/api/v1/reviews/export?format=jsonl", headers=acme.headers[Role.AUDITOR]
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("application/jsonl")
    lines = [orjson.loads(line) for line in exported.content.splitlines()]
    assert [(x["review_id"], x["detector"], x["type"], x["verdict"], x["label"]) for x in lines] == [
        (confirmed, "injection", "prompt_injection", "confirmed", 1),
        (dismissed, "pii", "email", "dismissed", 0),
    ]
    assert {x["reviewer"] for x in lines} == {acme.users[Role.ADMIN].id}
    assert all(x["resolved_at"] and x["source"] == f"review:{x['detector']}" for x in lines)
    only_pii = await guarded.client.get(
        "/api/v1/reviews/export?detector=pii", headers=acme.headers[Role.AUDITOR]
    )
    assert [orjson.loads(line)["review_id"] for line in only_pii.content.splitlines()] == [dismissed]
    later = await guarded.client.get(
        "/api/v1/reviews/export?since=2999-01-01T00:00:00Z", headers=acme.headers[Role.AUDITOR]
    )
    assert later.status_code == 200 and later.content == b""

    theirs = await guarded.client.get("/api/v1/reviews/export", headers=globex.headers[Role.OWNER])
    assert theirs.status_code == 200 and theirs.content == b""  # globex's item is open; acme's are not theirs
    assert (
        await guarded.client.get("/api/v1/reviews/export", headers=acme.headers[Role.MEMBER])
    ).status_code == 403
    csv = await guarded.client.get("/api/v1/reviews/export?format=csv", headers=acme.headers[Role.AUDITOR])
    assert csv.status_code in (400, 422)
