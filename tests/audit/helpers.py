"""Events, a reference tree head and row access shared by the audit tests."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from trueport.audit.events import (
    ControlPlaneEvent,
    DataPlaneEvent,
    GuardAction,
    LimitDecision,
    Outcome,
    TargetAttempt,
    Usage,
)
from trueport.audit.tables import AuditEventRow
from trueport.db.engine import SessionFactory

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def data_event(tenant: str | None = "tenant-a", n: int = 0, **fields: object) -> DataPlaneEvent:
    values: dict[str, object] = {
        "tenant_id": tenant,
        "ts": T0 + timedelta(seconds=n),
        "request_id": f"req-{uuid.uuid4()}",
        "key_id": "key-1",
        "endpoint": "/v1/chat/completions",
        "model": "gpt-4o-mini",
        "targets": [
            TargetAttempt(provider="an", model="claude", outcome="error", status_code=500, latency_ms=12.5),
            TargetAttempt(
                provider="oa", model="gpt-4o-mini", outcome="ok", status_code=200, latency_ms=80.25
            ),
        ],
        "limits": [
            LimitDecision(name="key.rpm", decision="allowed", limit=Decimal(60), used=Decimal(n % 60))
        ],
        "guard": [
            GuardAction(
                detector="pii",
                type="email",
                direction="input",
                action="redacted",
                score=0.97,
                start=3,
                end=20,
            )
        ],
        "usage": Usage(prompt_tokens=100 + n, completion_tokens=20, cached_tokens=0),
        "cost_usd": Decimal("0.0000270") * (n + 1),
        "pricing_version": "2026-11",
        "outcome": Outcome(status_code=200, latency_ms=95.0),
    }
    values.update(fields)
    return DataPlaneEvent(**values)  # type: ignore[arg-type]


def control_event(tenant: str | None = None, n: int = 0) -> ControlPlaneEvent:
    return ControlPlaneEvent(
        tenant_id=tenant,
        ts=T0 + timedelta(seconds=n),
        actor="user:alice",
        action="update",
        object_type="api_key",
        object_id=f"key-{n}",
        before={"rpm_limit": 60, "models": ["gpt-4o-mini"]},
        after={"rpm_limit": 120, "models": None, "note": "raised for launch \u2014 ok"},
        source_ip="203.0.113.7",
    )


def reference_root(bodies: list[bytes]) -> bytes:
    """RFC 9162 MTH, literally (for checking what the database holds)."""
    if not bodies:
        return hashlib.sha256(b"").digest()
    if len(bodies) == 1:
        return hashlib.sha256(b"\x00" + bodies[0]).digest()
    k = 1
    while k * 2 < len(bodies):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(bodies[:k]) + reference_root(bodies[k:])).digest()


async def stored_events(sessions: SessionFactory) -> list[AuditEventRow]:
    async with sessions() as session:
        return list((await session.execute(select(AuditEventRow).order_by(AuditEventRow.idx))).scalars())
