"""Fixtures of the audit API tests: the platform with its audit spool in the test's own directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from support.smtp import SmtpSink
from trueport.mockprovider import MockProvider


@pytest.fixture
async def platform(
    database_url: str, mock: MockProvider, smtp: SmtpSink, tmp_path: Path
) -> AsyncIterator[ControlPlaneHarness]:
    settings = platform_settings(
        database_url, mock.url, mail=smtp.mail_settings(), audit={"spool_dir": str(tmp_path / "spool")}
    )
    async with running_platform(settings) as harness:
        yield harness
