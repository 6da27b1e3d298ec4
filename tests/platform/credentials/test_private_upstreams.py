"""With private upstreams not allowed (production's default), the API refuses internal URLs, and the
data plane refuses to connect to them even when a stored URL resolves there later."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import structlog
from pydantic import SecretStr
from tests.gateway.harness import PROVIDER_KEY
from tests.platform.credentials.seed import member_of
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.db.models import ProviderCredential, TenantRoute, new_id
from trueport.keys.service import create_key
from trueport.mockprovider import MockProvider
from trueport.platform.credentials.sealing import seal_api_key


@pytest.fixture
async def strict(database_url: str, mock: MockProvider) -> AsyncIterator[ControlPlaneHarness]:
    settings = platform_settings(database_url, mock.url, platform={"allow_private_upstreams": False})
    assert not settings.private_upstreams_allowed
    async with running_platform(settings) as harness:
        yield harness


async def test_the_api_refuses_internal_and_plain_http_urls(
    strict: ControlPlaneHarness, mock: MockProvider
) -> None:
    acme = await member_of(strict, "acme")
    for url, reason in (
        (f"{mock.url}/v1", "https://"),  # http
        (f"https://127.0.0.1:{mock.port}/v1", "loopback"),
        ("https://169.254.169.254/latest", "loopback, private or reserved"),
        ("https://[::1]/v1", "loopback"),
        ("https://10.1.2.3/v1", "private"),
        (f"https://localhost:{mock.port}/v1", "'localhost' resolves to"),
        ("https://user:secret@api.openai.com/v1", "user name or password"),
    ):
        body = {"name": "c", "type": "openai", "base_url": url, "api_key": PROVIDER_KEY}
        response = await strict.client.post("/api/v1/credentials", json=body, headers=acme.headers)
        assert response.status_code == 400, (url, response.text)
        error = response.json()["error"]
        assert error["code"] == "unsafe_base_url" and reason in error["message"], (url, error)
        assert "secret@" not in error["message"]
    assert (await strict.client.get("/api/v1/credentials", headers=acme.headers)).json()["data"] == []


async def test_the_data_plane_does_not_connect_where_a_stored_name_now_points(
    strict: ControlPlaneHarness, mock: MockProvider
) -> None:
    """A name that passed the save-time check now resolves to loopback (DNS rebinding): no request leaves."""
    acme = await member_of(strict, "acme")
    async with strict.sessions() as session:
        row = ProviderCredential(
            id=new_id(),
            tenant_id=acme.tenant.id,
            name="rebound",
            type="openai",
            base_url=f"https://localhost:{mock.port}/v1",
        )
        seal_api_key(strict.platform.envelope, row, SecretStr(PROVIDER_KEY))
        session.add(row)
        session.add(
            TenantRoute(tenant_id=acme.tenant.id, alias="oa", targets=[{"provider": "rebound", "model": "m"}])
        )
        created = await create_key(session, acme.tenant, hmac_secret=strict.platform.key_secret, name="k")
        await session.commit()
    await strict.app.gateway.routing.reload()
    [target] = strict.app.gateway.routing.targets(acme.tenant.id, "oa") or ()
    assert target.provider == "rebound"  # loaded: the URL's shape is fine
    with structlog.testing.capture_logs() as logs:
        response = await strict.client.post(
            "/v1/chat/completions",
            json={"model": "oa", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": f"Bearer {created.secret}"},
        )
    assert response.status_code == 503, response.text
    # Refused by the resolver, before TLS or TCP (the client is told only that the target was
    # unreachable; the reason is in the log).
    failures = [entry for entry in logs if entry["event"] == "upstream_failed"]
    assert failures and all("ClientConnectorDNSError" in entry["detail"] for entry in failures), failures
    assert mock.requests == []


async def test_a_stored_literal_internal_address_is_not_loaded(
    strict: ControlPlaneHarness, mock: MockProvider
) -> None:
    acme = await member_of(strict, "acme")
    async with strict.sessions() as session:
        row = ProviderCredential(
            id=new_id(), tenant_id=acme.tenant.id, name="inside", type="openai", base_url=f"{mock.url}/v1"
        )
        seal_api_key(strict.platform.envelope, row, SecretStr(PROVIDER_KEY))
        session.add(row)
        session.add(
            TenantRoute(
                tenant_id=acme.tenant.id, alias="inside", targets=[{"provider": "inside", "model": "m"}]
            )
        )
        await session.commit()
    await strict.app.gateway.routing.reload()
    assert strict.app.gateway.routing.targets(acme.tenant.id, "inside") == ()
