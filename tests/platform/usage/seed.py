"""Request records for two tenants over three days, written straight to the database.

Tenant ``acme`` has six records in ``[DAY, DAY + 3 days)`` (``A1`` ... ``A6``), one the day before
and one exactly at the range's end (both outside it); ``other`` and the unauthenticated (no tenant)
records are there to leak if scoping were broken: their numbers are large so any leak shows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import RequestRecord, Tenant

DAY = datetime(2025, 3, 10, tzinfo=UTC)
SINCE, UNTIL = DAY, DAY + timedelta(days=3)
RANGE = {"since": "2025-03-10T00:00:00Z", "until": "2025-03-13T00:00:00Z"}
K1, K2, K_OTHER = (str(uuid.UUID(int=n)) for n in (1, 2, 3))
FORMULA = '=HYPERLINK("http://evil.test","x")'


def make_record(tenant_id: str | None, at: datetime, **fields: Any) -> RequestRecord:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "created_at": at,
        "endpoint": "/v1/chat/completions",
        "status_code": 200,
        "attempts": 1,
        "latency_ms": 1.0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cached_tokens": 0,
        "cost_usd": Decimal(0),
    }
    values.update(fields)
    return RequestRecord(**values)


@dataclass
class Usage:
    acme: Tenant
    ids: list[str]  # acme's A1 ... A6, in time order
    headers: dict[str, str]  # acme's owner
    other_headers: dict[str, str]  # other's owner


async def seed(platform: ControlPlaneHarness, acme: Tenant, other: Tenant) -> list[str]:
    """Writes the records; the ids of A1 ... A6."""
    ok = {"provider": "openai", "upstream_model": "gpt-4o-mini", "pricing_version": "2025-01"}
    a = acme.id
    mine = [
        make_record(
            a,
            DAY + timedelta(hours=10),
            key_id=K1,
            alias="oa",
            **ok,
            prompt_tokens=100,
            completion_tokens=50,
            cached_tokens=10,
            cost_usd=Decimal("0.001"),
            latency_ms=100.0,
        ),
        make_record(
            a,
            DAY + timedelta(hours=23, minutes=59, seconds=59, milliseconds=500),
            key_id=K1,
            alias="an",
            provider="anthropic",
            upstream_model="claude-sonnet-4-5",
            prompt_tokens=200,
            completion_tokens=100,
            cost_usd=Decimal("0.002"),
            latency_ms=300.0,
        ),
        make_record(
            a,
            DAY + timedelta(days=1),
            key_id=K2,
            alias="oa",
            provider="openai",
            status_code=502,
            error_class="UpstreamFailed",
            attempts=2,
            fallback=True,
            latency_ms=50.0,
        ),
        make_record(
            a,
            DAY + timedelta(days=1, hours=12),
            key_id=K2,
            alias=FORMULA,
            provider="openai",
            status_code=429,
            error_class="RateLimited",
            prompt_tokens=10,
            latency_ms=10.0,
        ),
        make_record(
            a,
            DAY + timedelta(days=2, hours=8),
            key_id=K1,
            alias="oa",
            **ok,
            stream=True,
            ttft_ms=20.5,
            prompt_tokens=1000,
            completion_tokens=500,
            cached_tokens=200,
            cost_usd=Decimal("0.0125"),
            latency_ms=250.0,
        ),
        make_record(
            a,
            DAY + timedelta(days=2, hours=9),
            key_id=K2,
            alias="nope",
            status_code=404,
            error_class="ModelNotFound",
            attempts=0,
            latency_ms=2.0,
        ),
    ]
    outside = [
        make_record(a, DAY - timedelta(microseconds=1), key_id=K1, alias="oa", provider="openai"),
        make_record(a, UNTIL, key_id=K1, alias="oa", provider="openai"),
    ]
    theirs = [
        make_record(
            other.id,
            DAY + timedelta(hours=h),
            key_id=K_OTHER,
            alias="oa",
            provider="openai",
            prompt_tokens=10**6,
            cost_usd=Decimal(100),
            latency_ms=9999.0,
        )
        for h in (1, 30, 60)
    ]
    nobody = [
        make_record(None, DAY + timedelta(hours=5), status_code=401, error_class="AuthenticationFailed")
    ]
    async with platform.sessions() as session:
        session.add_all(mine + outside + theirs + nobody)
        await session.commit()
    return [record.id for record in mine]
