"""``GET /api/v1/admin/dead-letters``: operators see what the writers could not store; tenants do not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.platform.credentials.seed import member_of
from tests.platform.harness import ControlPlaneHarness

from trueport.usage.records import RequestRecordData


def record(request_id: str) -> RequestRecordData:
    return RequestRecordData(
        id=request_id, created_at=datetime.now(UTC), endpoint="/v1/chat/completions", status_code=200
    )


async def test_operators_see_dead_letters_and_their_count(platform: ControlPlaneHarness) -> None:
    writer = platform.app.gateway.records
    twice = str(uuid.uuid4())
    writer.submit(record(twice))
    await writer.flush()
    writer.submit(record(twice))  # the same request id again: the database refuses it
    writer.submit(record(str(uuid.uuid4())))
    await writer.flush()

    admin = await platform.user("ops@installation.test", platform_admin=True)
    listed = await platform.client.get("/api/v1/admin/dead-letters", headers=platform.auth(admin))
    assert listed.status_code == 200, listed.text
    [letter] = listed.json()["data"]
    assert letter["kind"] == "request_record" and letter["item_id"] == twice
    assert letter["payload"]["id"] == twice and letter["error"]
    assert "INSERT" not in letter["error"]  # the database's message, not the statement
    only_audit = await platform.client.get(
        "/api/v1/admin/dead-letters?kind=audit_event", headers=platform.auth(admin)
    )
    assert only_audit.json()["data"] == []
    metrics = await platform.client.get(
        "/metrics",
        headers={"Authorization": f"Bearer {platform.settings.admin_token.get_secret_value()}"},  # type: ignore[union-attr]
    )
    assert 'trueport_dead_letters_total{kind="request_record"}' in metrics.text

    tenant_admin = await member_of(platform, "acme", "owner")
    refused = await platform.client.get("/api/v1/admin/dead-letters", headers=tenant_admin.headers)
    assert refused.status_code == 403
