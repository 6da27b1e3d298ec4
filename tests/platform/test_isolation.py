"""Tenant isolation over every ``/api/v1`` route, enumerated from the OpenAPI schema.

Tenant B's owner creates one object of every kind (through the API where there is one, straight in
the database for data-plane records). Then, signed in to tenant A with every permission (owner):

- every route with an id in its path, called with B's id (and a valid body), answers 404 —
  or 403 on the platform-admin routes, which a tenant owner may not use at all;
- every list or read route without an id shows none of B's ids or names;
- afterwards, B's objects are exactly as they were.

A route with a path parameter this test does not know how to fill fails the test: a new resource
must say here how to make one of its objects.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.gateway.harness import PROVIDER_KEY
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import (
    EvalRun,
    GuardViolation,
    Membership,
    RequestRecord,
    ReviewItem,
    Tenant,
    User,
    WebhookDelivery,
)

MARK = "beeb"  # in every name of tenant B's objects, so a leak in any list is visible
# Valid bodies for routes that take an id, so that the answer is about the id, not the body.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/keys/{key_id}"): {"name": "renamed"},
    ("POST", "/api/v1/keys/{key_id}/rotate"): {"overlap_s": 0},
    ("PATCH", "/api/v1/credentials/{credential_id}"): {"api_key": "sk-replaced-value-000000"},
    ("PUT", "/api/v1/routes/{route_id}"): {"alias": "renamed", "targets": [{"provider": "oa", "model": "m"}]},
    ("PATCH", "/api/v1/members/{member_id}"): {"role": "member"},
    ("PATCH", "/api/v1/tenants/{tenant_id}"): {"name": "renamed"},
    ("POST", "/api/v1/reviews/{review_id}/resolve"): {"status": "dismissed", "note": "not mine"},
    ("POST", "/api/v1/reviews/{review_id}/assign"): {"user_id": None},
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): {"description": "renamed"},
    ("PATCH", "/api/v1/budgets/{budget_id}"): {"name": "renamed"},
    ("PUT", "/api/v1/flags/{name}"): {"enabled": True},
    ("PUT", "/api/v1/admin/flags/{name}"): {"enabled": True},
    ("PATCH", "/api/v1/evals/suites/{suite_id}"): {"name": "renamed"},
}


async def _seed_tenant_b(
    platform: ControlPlaneHarness, mock_url: str
) -> tuple[Tenant, dict[str, str], dict[str, str]]:
    """Tenant B, its owner's headers, and the id of one of its objects per path prefix."""
    client = platform.client
    b = await platform.tenant(f"{MARK}-corp")
    owner = await platform.user(f"owner@{MARK}.test")
    await platform.member(b, owner, "owner")
    headers = platform.auth(owner, b)
    ids: dict[str, str] = {"/api/v1/tenants/": b.id}

    async def create(path: str, body: dict[str, Any], field: str = "id", method: str = "POST") -> str:
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 201, f"{path}: {response.text}"
        return str(response.json()[field])

    ids["/api/v1/keys/"] = await create("/api/v1/keys", {"name": f"{MARK}-key"})
    # A flag rule naming B's key: A's list of flags must not show it. Flags are named, not ids: A acts on
    # its own rule under any name, so the path's check uses a name that is no flag (404) and B's rule is
    # covered by the snapshot of B's reads before and after.
    flagged = await client.put(
        "/api/v1/flags/canary_targets",
        headers=headers,
        json={"enabled": True, "percent": 0, "keys": [ids["/api/v1/keys/"]]},
    )
    assert flagged.status_code == 200, flagged.text
    ids["/api/v1/flags/"] = "no_such_flag"
    ids["/api/v1/admin/flags/"] = "canary_targets"  # platform-admin routes (/api/v1/admin/): 403 first
    ids["/api/v1/admin/bus/dead-letters/"] = "inference.events.v1"  # the bus is the installation's
    ids["/api/v1/admin/users/"] = owner.id  # platform-admin routes: 403 before any id
    ids["/api/v1/budgets/"] = await create(
        "/api/v1/budgets",
        {
            "name": f"{MARK}-budget",
            "unit": "usd",
            "amount": "10",
            "period": "monthly",
            "key_id": ids["/api/v1/keys/"],
        },
    )
    ids["/api/v1/credentials/"] = await create(
        "/api/v1/credentials",
        {"name": f"{MARK}-cred", "type": "openai", "base_url": f"{mock_url}/v1", "api_key": PROVIDER_KEY},
    )
    ids["/api/v1/routes/"] = await create(
        "/api/v1/routes", {"alias": f"{MARK}-route", "targets": [{"provider": f"{MARK}-cred", "model": "m"}]}
    )
    default = (await client.get("/api/v1/policies/default", headers=headers)).json()["policy"]
    ids["/api/v1/policies/"] = await create(
        "/api/v1/policies/active", {"policy": default}, field="version", method="PUT"
    )
    ids["/api/v1/invitations/"] = await create(
        "/api/v1/invitations", {"email": f"invitee@{MARK}.test", "role": "member"}
    )
    webhook_id = await create(
        "/api/v1/webhooks",
        {"url": f"{mock_url}/{MARK}-hook", "topics": ["inference.events.v1"], "description": f"{MARK}-hook"},
    )
    suite_id = await create(
        "/api/v1/evals/suites",
        {"name": f"{MARK}-suite", "cases": [{"text": f"{MARK} text", "expect": {"secrets": "clean"}}]},
    )
    ids["/api/v1/evals/suites/"] = suite_id
    patched = await client.patch("/api/v1/settings", headers=headers, json={"settings": {"marker": MARK}})
    assert patched.status_code == 200, patched.text

    member = await platform.user(f"member@{MARK}.test")
    await platform.member(b, member, "member")
    now = datetime.now(UTC)
    async with platform.sessions() as session:
        membership = (
            await session.execute(Membership.__table__.select().where(Membership.user_id == member.id))
        ).first()
        assert membership is not None
        ids["/api/v1/members/"] = membership.id
        record_id = str(uuid.uuid4())
        session.add(
            RequestRecord(
                id=record_id,
                tenant_id=b.id,
                key_id=ids["/api/v1/keys/"],
                created_at=now,
                endpoint="chat",
                alias=f"{MARK}-route",
                provider=f"{MARK}-cred",
                upstream_model="m",
                stream=False,
                status_code=200,
                latency_ms=12.5,
                prompt_tokens=7,
                completion_tokens=3,
                cost_usd=Decimal("0.001"),
            )
        )
        session.add(
            GuardViolation(
                request_id=record_id,
                tenant_id=b.id,
                key_id=ids["/api/v1/keys/"],
                created_at=now,
                direction="input",
                source="message",
                location=f"{MARK}-location",
                detector="pii",
                type="email",
                action="redact",
                score=0.99,
                start=0,
                end=5,
                policy_version=1,
            )
        )
        review_id = str(uuid.uuid4())
        session.add(
            ReviewItem(
                id=review_id,
                tenant_id=b.id,
                request_id=record_id,
                key_id=ids["/api/v1/keys/"],
                direction="input",
                detector="injection",
                type="prompt_injection",
                score=0.97,
                location=f"{MARK}-review",
                policy_version=1,
                created_at=now,
            )
        )
        ids["/api/v1/reviews/"] = review_id
        dead_letter_id = str(uuid.uuid4())
        session.add(
            WebhookDelivery(
                id=dead_letter_id,
                tenant_id=b.id,
                subscription_id=webhook_id,
                event_id=str(uuid.uuid4()),
                topic="inference.events.v1",
                payload=b'{"data":{}}',
                status="dead",
                attempts=5,
                next_attempt_at=None,
                last_error="HTTP 500",
                last_status=500,
            )
        )
        ids["/api/v1/webhooks/dead-letters/"] = dead_letter_id  # before "/api/v1/webhooks/": longest first
        ids["/api/v1/webhooks/"] = webhook_id
        eval_run_id = str(uuid.uuid4())
        session.add(
            EvalRun(
                id=eval_run_id,
                tenant_id=b.id,
                suite_id=suite_id,
                suite_name=f"{MARK}-suite",
                trigger="api",
                total=1,
                passed=1,
                failed=False,
                pass_rate=1.0,
                latency_p50_ms=0.1,
                latency_p95_ms=0.1,
                policy_version=1,
                results=[],
                created_at=now,
            )
        )
        ids["/api/v1/evals/runs/"] = eval_run_id
        await session.commit()
    ids["record"] = record_id
    root = await platform.user(f"root@{MARK}.test", platform_admin=True)
    priced = await client.post(
        f"/api/v1/billing/admin/tenants/{b.id}/pricing",
        headers=platform.auth(root),
        json={"model": f"{MARK}-model", "input_per_mtok": "1", "output_per_mtok": "2"},
    )
    assert priced.status_code == 201, priced.text
    ids["/api/v1/billing/admin/"] = b.id  # platform-admin routes: a tenant owner gets 403 before any id
    return b, headers, ids


def _path_id(path: str, ids: dict[str, str]) -> str | None:
    for prefix, value in ids.items():
        if prefix.startswith("/") and path.startswith(prefix):
            return value
    return None


async def _snapshot(
    platform: ControlPlaneHarness, headers: dict[str, str], paths: list[str]
) -> dict[str, str]:
    snapshot = {}
    for path in paths:
        response = await platform.client.get(path, headers=headers)
        text = response.text
        for moving in ("since", "until"):  # default ranges end "now"
            text = re.sub(rf'"{moving}":"[^"]*"', "", text)
        if path == "/api/v1/guard/bundle" and response.status_code == 200:
            # Signed afresh at each request (its validity starts then): compare what it carries.
            manifest = response.json()["manifest"]
            text = repr(
                {k: v for k, v in manifest.items() if k not in ("created_at", "not_before", "expires_at")}
            )
        snapshot[path] = text
    return snapshot


async def test_tenant_a_reaches_none_of_tenant_bs_objects(platform: ControlPlaneHarness, mock: Any) -> None:
    b, b_headers, ids = await _seed_tenant_b(platform, mock.url)
    a = await platform.tenant("acorp")
    owner_a = await platform.user("owner@acorp.test")
    await platform.member(a, owner_a, "owner")
    a_headers = platform.auth(owner_a, a)

    schema = (await platform.client.get("/api/v1/openapi.json")).json()
    operations = [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 20
    reads = [p for m, p in operations if m == "GET" and "{" not in p and not p.startswith("/api/v1/tenants")]
    before = await _snapshot(platform, b_headers, reads)
    named = ("/api/v1/policies/", "/api/v1/flags/", "/api/v1/admin/flags/", "/api/v1/admin/bus/dead-letters/")
    secrets_of_b = {value for key, value in ids.items() if key not in named} | {MARK, b.id, b.slug}

    leaks: list[str] = []
    for method, path in operations:
        if "{" in path:
            foreign = _path_id(path, ids)
            assert foreign is not None, f"{method} {path}: add a tenant-B object for this path to the test"
            url = re.sub(r"\{[^}]+\}", foreign, path)
            body = BODIES.get((method, path), {}) if method in ("POST", "PUT", "PATCH") else None
            response = await platform.client.request(method, url, headers=a_headers, json=body)
            expected = (
                403
                if path.startswith(("/api/v1/tenants/", "/api/v1/billing/admin/", "/api/v1/admin/"))
                else 404
            )
            if response.status_code != expected:
                leaks.append(
                    f"{method} {url}: {response.status_code} (wanted {expected}) {response.text[:200]}"
                )
        elif method == "GET":
            response = await platform.client.get(path, headers=a_headers)
            found = [s for s in secrets_of_b if s in response.text]
            if found:
                leaks.append(f"GET {path} shows tenant B's {found}")
    assert leaks == []

    after = await _snapshot(platform, b_headers, reads)
    assert after == before, "tenant B's objects changed"
    async with platform.sessions() as session:
        assert (await session.get(User, owner_a.id)) is not None
