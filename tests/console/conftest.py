"""Fixtures of the console tests: the provider emulator in this process, for the in-process app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.gateway.harness import PROVIDER_KEY

from trueport.mockprovider import MockProvider


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as server:
        yield server
