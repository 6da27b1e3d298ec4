"""``platform`` with cheap password hashing (see ``tests/platform/auth/signin.py``)."""

from __future__ import annotations

import pytest
from tests.platform.auth.signin import fast_hashing
from tests.platform.harness import ControlPlaneHarness


@pytest.fixture
def platform(platform: ControlPlaneHarness) -> ControlPlaneHarness:
    return fast_hashing(platform)
