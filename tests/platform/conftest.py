"""Fixtures of the control-plane tests: ``platform`` runs TruePort on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.gateway.harness import PROVIDER_KEY
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.mockprovider import MockProvider


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as server:
        yield server


@pytest.fixture
async def platform(database_url: str, mock: MockProvider) -> AsyncIterator[ControlPlaneHarness]:
    async with running_platform(platform_settings(database_url, mock.url)) as harness:
        yield harness
