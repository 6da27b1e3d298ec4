"""The control plane is built by the first /api request, not at start-up."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.platform.harness import platform_settings, running_platform

from trueport.mockprovider import MockProvider


def test_importing_the_app_does_not_import_the_api() -> None:
    # What a serving process imports before it is ready: the app and, in the default configuration,
    # the webhook deliverer and the budget jobs. Neither the API nor its web framework is among them.
    probe = (
        "import sys, trueport.app, trueport.jobs.webhooks, trueport.jobs.budgets; "
        "print(sorted(m for m in ('trueport.platform.api', 'fastapi') if m in sys.modules))"
    )
    printed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert printed.stdout.strip() == "[]"


async def test_the_api_is_built_once_by_whoever_comes_first(
    sqlite_database_url: str, mock: MockProvider
) -> None:
    async with running_platform(platform_settings(sqlite_database_url, mock.url)) as harness:
        assert harness.app.resources is not None
        control = harness.app.resources.control
        # A request and another thread race: both get the one control plane.
        answered, built = await asyncio.gather(
            harness.client.get("/api/v1/openapi.json"), asyncio.to_thread(control.build)
        )
        assert answered.status_code == 200 and "/api/v1/auth/login" in answered.json()["paths"]
        assert control.build() is built
