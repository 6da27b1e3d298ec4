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
    books = platform.app.gateway.records
    books.submit(record(str(uuid.uuid4())), [])
    books.handoff.submit(b'{"not": "a call"}')  # a line no recorder can read: parked, not lost
    books.submit(record(str(uuid.uuid4())), [])
    await books.flush()

    admin = await platform.user("ops@installation.test", platform_admin=True)
    listed = await platform.client.get("/api/v1/admin/dead-letters", headers=platform.auth(admin))
    assert listed.status_code == 200, listed.text
    [letter] = listed.json()["data"]
    assert letter["kind"] == "call_item" and letter["item_id"].startswith("spool:")
    assert letter["payload"] == {"not": "a call"} and letter["error"]
    only_audit = await platform.client.get(
        "/api/v1/admin/dead-letters?kind=audit_event", headers=platform.auth(admin)
    )
    assert only_audit.json()["data"] == []
    metrics = await platform.client.get(
        "/metrics",
        headers={"Authorization": f"Bearer {platform.settings.admin_token.get_secret_value()}"},  # type: ignore[union-attr]
    )
    assert 'trueport_dead_letters_total{kind="call_item"}' in metrics.text

    tenant_admin = await member_of(platform, "acme", "owner")
    refused = await platform.client.get("/api/v1/admin/dead-letters", headers=tenant_admin.headers)
    assert refused.status_code == 403
