"""Tenants with a member of a given role, and their request headers, for the BYOK and route tests."""

from __future__ import annotations

from dataclasses import dataclass

from tests.gateway.harness import PROVIDER_KEY
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import Tenant


@dataclass
class Member:
    tenant: Tenant
    headers: dict[str, str]


async def member_of(platform: ControlPlaneHarness, slug: str, role: str = "admin") -> Member:
    """A new tenant ``slug`` (or an existing one) with a new ``role`` member; that member's headers."""
    async with platform.sessions() as session:
        from trueport.tenants.repository import TenantRepository

        tenant = await TenantRepository(session).get_by_slug(slug)
    if tenant is None:
        tenant = await platform.tenant(slug)
    user = await platform.user(f"{role}@{slug}.test")
    await platform.member(tenant, user, role)
    return Member(tenant, platform.auth(user, tenant))


def emulator_credential(
    platform: ControlPlaneHarness, name: str = "mine", **extra: object
) -> dict[str, object]:
    """A credential body for the provider emulator (loopback: allowed in development) and its key."""
    mock_url = platform.settings.providers["an"].base_url  # the emulator's root
    return {"name": name, "type": "openai", "base_url": f"{mock_url}/v1", "api_key": PROVIDER_KEY, **extra}
