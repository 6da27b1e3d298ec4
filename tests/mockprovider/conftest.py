"""A running emulator per test, and clients for it (each closed when the test ends)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from anthropic import AsyncAnthropic
from openai import AsyncOpenAI

from trueport.mockprovider import MockProvider

KEY = "test-key"


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def openai_client(mock: MockProvider) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=f"{mock.url}/v1", api_key=KEY, max_retries=0) as client:
        yield client


@pytest.fixture
async def anthropic_client(mock: MockProvider) -> AsyncIterator[AsyncAnthropic]:
    async with AsyncAnthropic(base_url=mock.url, api_key=KEY, max_retries=0) as client:
        yield client
