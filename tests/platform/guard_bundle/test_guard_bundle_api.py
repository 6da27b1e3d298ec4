"""``/guard/bundle`` with the development key, and with a KMS that fails.

Without a configured key the installation generates one, keeps it sealed under the master key (a
database dump shows no PEM) and signs every bundle with it, across requests and app restarts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.db.models import InstallationSetting
from trueport.manifests.document import parse_signed
from trueport.mockprovider import MockProvider
from trueport.platform.rbac import Role


async def member_headers(platform: ControlPlaneHarness, role: Role = Role.AUDITOR) -> dict[str, str]:
    tenant = await platform.tenant("acme")
    user = await platform.user(f"{role.value}@acme.test")
    await platform.member(tenant, user, role)
    return platform.auth(user, tenant)


async def test_the_development_key_is_generated_once_and_sealed(platform: ControlPlaneHarness) -> None:
    headers = await member_headers(platform)
    first = await platform.client.get("/api/v1/guard/bundle", headers=headers)
    assert first.status_code == 200, first.text
    second = await platform.client.get("/api/v1/guard/bundle", headers=headers)
    one, two = parse_signed(first.content).manifest, parse_signed(second.content).manifest
    assert one.key_id == two.key_id and one.algorithm == "ED25519"
    assert one.policy.source == "installation" and one.issuer == "trueport"
    async with platform.sessions() as session:
        stored = (
            await session.execute(
                select(InstallationSetting).where(InstallationSetting.name == "manifest_signing_key_dev")
            )
        ).scalar_one()
    assert "PRIVATE KEY" not in stored.value and "ciphertext" in stored.value


async def test_a_failing_kms_is_503_and_names_no_secret(database_url: str, mock: MockProvider) -> None:
    kms: dict[str, Any] = {
        "endpoint": "http://127.0.0.1:9/",
        "key_id": "alias/x",
        "token": "kms-secret-token",
    }
    settings = platform_settings(database_url, mock.url, manifests={"kms": kms})
    async with running_platform(settings) as platform:
        answer = await platform.client.get("/api/v1/guard/bundle", headers=await member_headers(platform))
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "manifest_signing_unavailable"
        assert "kms-secret-token" not in answer.text
