"""Fixtures of the control-plane tests: ``platform`` runs TruePort on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from tests.gateway.harness import PROVIDER_KEY
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from support.smtp import SmtpSink
from trueport.mockprovider import MockProvider


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
async def platform(
    database_url: str, mock: MockProvider, smtp: SmtpSink
) -> AsyncIterator[ControlPlaneHarness]:
    """TruePort with its control plane, on SQLite and on PostgreSQL, mailing to ``smtp``."""
    settings = platform_settings(database_url, mock.url, mail=smtp.mail_settings())
    async with running_platform(settings) as harness:
        yield harness
