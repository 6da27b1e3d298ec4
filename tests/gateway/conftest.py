"""Fixtures: the provider emulator and a running gateway in front of it (see harness.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tests.gateway.harness import PROVIDER_KEY, RunningGateway, gateway_settings, start_gateway

from trueport.app import TruePortApp
from trueport.db.migrate import upgrade_to_head
from trueport.db.session import database
from trueport.keys.secret import key_hmac_secret
from trueport.keys.service import create_key
from trueport.mockprovider import MockProvider
from trueport.settings import async_database_url
from trueport.tenants.service import create_tenant


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as server:
        yield server


@pytest.fixture
async def gateway(database_url: str, mock: MockProvider) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, mock.url)
    await asyncio.to_thread(upgrade_to_head, async_database_url(database_url))
    async with database(settings) as sessions:
        async with sessions() as session:
            tenant = await create_tenant(session, "acme")
            await session.commit()
        secret = await key_hmac_secret(settings, sessions)
        async with sessions() as session:
            created = await create_key(session, tenant, hmac_secret=secret, name="test")
            await session.commit()
        server, task, url = await start_gateway(settings)
        app = server.config.app
        assert isinstance(app, TruePortApp)
        try:
            yield RunningGateway(url, created.secret, settings, app, sessions, tenant.id)
        finally:
            server.should_exit = True
            await task
