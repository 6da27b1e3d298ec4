"""``usage``: two tenants with seeded request records, and acme's owner's headers."""

from __future__ import annotations

import pytest
from tests.platform.harness import ControlPlaneHarness
from tests.platform.usage.seed import Usage, seed


@pytest.fixture
async def usage(platform: ControlPlaneHarness) -> Usage:
    acme, other = await platform.tenant("acme"), await platform.tenant("other")
    owner, stranger = await platform.user("owner@acme.test"), await platform.user("owner@other.test")
    await platform.member(acme, owner, "owner")
    await platform.member(other, stranger, "owner")
    ids = await seed(platform, acme, other)
    return Usage(acme, ids, platform.auth(owner, acme), platform.auth(stranger, other))
