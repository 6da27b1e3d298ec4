"""A call's audit event is always buildable, whatever counts its record holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from trueport.audit.canonical import MAX_SAFE_INTEGER
from trueport.audit.dataplane import DataPlaneAudit
from trueport.usage.pricing import PricingCatalog, TenantPrices
from trueport.usage.records import RequestRecordData


def test_counts_out_of_range_are_clamped_not_fatal() -> None:
    audit = DataPlaneAudit(trail=None, pricing=TenantPrices(PricingCatalog.load()))  # type: ignore[arg-type]
    record = RequestRecordData(
        id=str(uuid.uuid4()),
        created_at=datetime.now(UTC),
        endpoint="/v1/chat/completions",
        tenant_id="t",
        prompt_tokens=-1_000_000_000,
        completion_tokens=10**30,
    )
    event = audit.event(record, [], 200)
    assert event.usage is not None
    assert (event.usage.prompt_tokens, event.usage.completion_tokens) == (0, MAX_SAFE_INTEGER)
