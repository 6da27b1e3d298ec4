"""``python -m trueport.console.openapi`` prints the schema the server serves, which the console's
build turns into its API types."""

from __future__ import annotations

import subprocess
import sys

from tests.platform.harness import platform_settings, running_platform

from trueport.console.openapi import openapi_schema
from trueport.jsonutil import loads
from trueport.mockprovider import MockProvider


async def test_the_printed_schema_is_the_served_one(sqlite_database_url: str, mock: MockProvider) -> None:
    async with running_platform(platform_settings(sqlite_database_url, mock.url)) as harness:
        served = (await harness.client.get("/api/v1/openapi.json")).json()
    assert openapi_schema() == served


def test_the_command_prints_json_without_any_configuration() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "trueport.console.openapi"],
        capture_output=True,
        check=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},  # no TRUEPORT_* settings, no database
    )
    schema = loads(printed.stdout)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/refresh" in schema["paths"]
