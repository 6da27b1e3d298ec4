"""The CSV export stops at ``MAX_ROWS`` and says so in its headers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert
from tests.platform.harness import ControlPlaneHarness
from tests.platform.usage.seed import DAY, RANGE, Usage

from trueport.db.models import RequestRecord
from trueport.platform.usage.export import MAX_ROWS


@pytest.mark.slow
async def test_the_export_is_capped(platform: ControlPlaneHarness, usage: Usage) -> None:
    rows = [
        {
            "id": str(uuid.uuid4()),
            "tenant_id": usage.acme.id,
            "created_at": DAY + timedelta(days=1, milliseconds=n),
            "endpoint": "/v1/embeddings",
            "status_code": 200,
            "latency_ms": 1.0,
        }
        for n in range(MAX_ROWS)
    ]  # with the 6 seeded records: MAX_ROWS + 6 match
    async with platform.sessions() as session:
        await session.execute(insert(RequestRecord), rows)
        await session.commit()
    lines = 0
    async with platform.client.stream(
        "GET", "/api/v1/usage/export.csv", params=RANGE, headers=usage.headers
    ) as response:
        assert response.status_code == 200
        assert (response.headers["x-export-rows"], response.headers["x-export-truncated"]) == (
            str(MAX_ROWS),
            "true",
        )
        async for _ in response.aiter_lines():
            lines += 1
    assert lines == MAX_ROWS + 1  # and the header
