"""``team``: a tenant with one member of each role, and each member's request headers.

The members never log in (their tokens are minted by the installation's codec), so they are seeded
with a fixed argon2 hash instead of paying for four real hashes per test.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import Membership, Tenant, User
from trueport.platform.rbac import Role

# A well-formed argon2id hash of a password nobody knows: these users cannot log in.
_UNUSABLE_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$2uiwq0OJl1vxa3IVOPxsPHqrVTxtUhv44JAgnfEc4Ng"
)


@dataclass
class Team:
    tenant: Tenant
    users: dict[Role, User]
    headers: dict[Role, dict[str, str]]


async def team(platform: ControlPlaneHarness, slug: str) -> Team:
    tenant = await platform.tenant(slug)
    users = {
        role: User(email=f"{role.value}@{slug}.test", name=role.value, password_hash=_UNUSABLE_HASH)
        for role in Role
    }
    async with platform.sessions() as session:
        session.add_all(users.values())
        await session.flush()
        session.add_all(Membership(tenant_id=tenant.id, user_id=u.id, role=r.value) for r, u in users.items())
        await session.commit()
    return Team(tenant, users, {role: platform.auth(user, tenant) for role, user in users.items()})


@pytest.fixture
async def acme(platform: ControlPlaneHarness) -> Team:
    return await team(platform, "acme")
