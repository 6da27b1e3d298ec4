"""``/metrics`` and ``/api/v1/providers/status``: refused without the admin token, headers of the API.

On SQLite only: the checks under test do not touch the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.mockprovider import MockProvider
from trueport.platform.web import SECURITY_HEADER_NAMES

TOKEN = "operator-admin-token-for-tests-0123456789"  # platform_settings' admin_token


@asynccontextmanager
async def _serving(
    database_url: str, mock: MockProvider, **overrides: Any
) -> AsyncIterator[ControlPlaneHarness]:
    async with running_platform(platform_settings(database_url, mock.url, **overrides)) as harness:
        yield harness


async def test_metrics_are_refused_without_an_admin_token(
    sqlite_database_url: str, mock: MockProvider
) -> None:
    async with _serving(sqlite_database_url, mock, admin_token=None) as platform:
        for path in ("/metrics", "/api/v1/providers/status"):
            refused = await platform.client.get(path)
            assert refused.status_code == 403, (path, refused.text)
            assert refused.json()["error"]["code"] == "unauthorized"
            assert "trueport_" not in refused.text


async def test_metrics_need_the_token_when_one_is_set(sqlite_database_url: str, mock: MockProvider) -> None:
    async with _serving(sqlite_database_url, mock) as platform:
        assert (await platform.client.get("/metrics")).status_code == 401
        wrong = await platform.client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        served = await platform.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert served.status_code == 200 and "trueport_breaker_state" in served.text


async def test_public_metrics_when_the_operator_says_so(sqlite_database_url: str, mock: MockProvider) -> None:
    async with _serving(sqlite_database_url, mock, admin_token=None, metrics={"public": True}) as platform:
        served = await platform.client.get("/metrics")
        assert served.status_code == 200 and "trueport_breaker_state" in served.text
        # Only the metrics: the status API still needs a token.
        assert (await platform.client.get("/api/v1/providers/status")).status_code == 403


async def test_provider_status_has_the_control_planes_security_headers(
    sqlite_database_url: str, mock: MockProvider
) -> None:
    async with _serving(sqlite_database_url, mock) as platform:
        served = await platform.client.get(
            "/api/v1/providers/status", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        refused = await platform.client.get("/api/v1/providers/status")
        reference = await platform.client.get("/api/v1/settings")  # any other /api answer
        assert served.status_code == 200 and refused.status_code == 401
        for response in (served, refused):
            for name in SECURITY_HEADER_NAMES:
                assert response.headers.get(name.decode()) == reference.headers[name.decode()], name
