"""``acme``: a tenant and its owner, with the owner's headers, for the budget tests."""

from __future__ import annotations

import pytest
from tests.platform.harness import ControlPlaneHarness
from tests.platform.keys.calls import Acme


@pytest.fixture
async def acme(platform: ControlPlaneHarness) -> Acme:
    tenant = await platform.tenant("acme")
    owner = await platform.user("owner@acme.test")
    await platform.member(tenant, owner, "owner")
    return Acme(tenant, owner, platform.auth(owner, tenant))
