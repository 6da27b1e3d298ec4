"""Fixtures: the provider emulator and a running gateway in front of it (see harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.gateway.harness import (
    PROVIDER_KEY,
    RunningGateway,
    gateway_settings,
    running_gateway,
)

from trueport.mockprovider import MockProvider


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as server:
        yield server


@pytest.fixture
async def gateway(database_url: str, mock: MockProvider) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, mock.url)
    async with running_gateway(settings) as gateway:
        yield gateway
