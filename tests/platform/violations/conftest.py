"""Fixtures of the violations tests: a team per role, and seeded violation rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.platform.harness import ControlPlaneHarness
from tests.platform.policies.conftest import Team, team

from trueport.db.models import GuardViolation

BASE = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
async def acme(platform: ControlPlaneHarness) -> Team:
    return await team(platform, "acme")


async def seed(platform: ControlPlaneHarness, tenant_id: str, *rows: dict[str, Any]) -> None:
    """Violation rows as the gateway's record writer stores them (defaults: a redacted input e-mail)."""
    async with platform.sessions() as session:
        for row in rows:
            values: dict[str, Any] = {
                "request_id": "9b2e4c1a-7d3f-4e8b-a6c5-0f1e2d3c4b5a",
                "key_id": "0f6a3c52-8f0e-4d8e-9a57-3b3c1f0d2a11",
                "created_at": BASE,
                "direction": "input",
                "source": "prompt",
                "location": "messages[0].content",
                "detector": "pii",
                "type": "email",
                "action": "redact",
                "shadow": False,
                "score": 0.98,
                "start": 9,
                "end": 38,
                "policy_version": 1,
                **row,
            }
            session.add(GuardViolation(tenant_id=tenant_id, **values))
        await session.commit()
