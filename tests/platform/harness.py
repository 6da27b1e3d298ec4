"""A running TruePort (uvicorn, in the test's event loop) for control-plane tests, and ways to seed it.

``ControlPlaneHarness`` gives an ``httpx.AsyncClient`` on the real server, and seeds users, tenants
and memberships straight into the database (so a test of one endpoint does not depend on others).
``token(user, tenant)`` mints an access token with the installation's own codec, as login would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from tests.gateway.harness import gateway_settings, start_gateway

from support.migrated import upgrade_empty_to_head
from trueport.app import TruePortApp
from trueport.db.engine import SessionFactory
from trueport.db.models import Membership, Tenant, User
from trueport.db.session import database
from trueport.platform.context import Platform
from trueport.platform.rbac import Role
from trueport.settings import Settings
from trueport.tenants.service import create_tenant

PASSWORD = "correct horse battery staple"


@dataclass
class ControlPlaneHarness:
    url: str
    settings: Settings
    app: TruePortApp
    sessions: SessionFactory
    client: httpx.AsyncClient

    @property
    def platform(self) -> Platform:
        assert self.app.resources is not None
        return self.app.resources.platform

    async def user(self, email: str, *, password: str = PASSWORD, platform_admin: bool = False) -> User:
        password_hash = await self.platform.passwords.hash(password)
        async with self.sessions() as session:
            user = User(
                email=email.lower(),
                name=email.split("@", maxsplit=1)[0],
                password_hash=password_hash,
                is_platform_admin=platform_admin,
            )
            session.add(user)
            await session.commit()
        return user

    async def tenant(self, slug: str) -> Tenant:
        async with self.sessions() as session:
            tenant = await create_tenant(session, slug)
            await session.commit()
        return tenant

    async def member(self, tenant: Tenant, user: User, role: Role | str) -> None:
        async with self.sessions() as session:
            session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role(role).value))
            await session.commit()

    def token(self, user: User, tenant: Tenant | None = None) -> str:
        return self.platform.tokens.issue(user.id, tenant.id if tenant is not None else None)

    def auth(self, user: User, tenant: Tenant | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user, tenant)}"}


def platform_settings(database_url: str, mock_url: str, **overrides: Any) -> Settings:
    """The gateway harness's settings (providers on the emulator), a platform secret and fast hashing."""
    values: dict[str, Any] = {
        "platform": {
            "jwt_secret": "kq3VJ0dT9xw8Lr2pZ7yHc5mB1nF4gE6aUoWsXiRtYvQe",
            "master_keys": {"k1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
            "active_master_key": "k1",
            "public_url": "http://trueport.test",
            # What the route tests name on the installation's accounts (anything else is refused).
            "tenant_shared_models": {
                "oa": ["m", "gpt-4o", "gpt-4o-mini", "m+status=503"],
                "an": ["m", "claude", "claude-sonnet-4-5"],
            },
        },
        "admin_token": "operator-admin-token-for-tests-0123456789",
    }
    for name, value in overrides.items():
        if name == "platform":
            values["platform"] = {**values["platform"], **value}
        else:
            values[name] = value
    return gateway_settings(database_url, mock_url, **values)


@asynccontextmanager
async def running_platform(settings: Settings) -> AsyncIterator[ControlPlaneHarness]:
    import asyncio

    await asyncio.to_thread(upgrade_empty_to_head, settings.database_url)
    async with database(settings) as sessions:
        server, task, url = await start_gateway(settings)
        app = server.config.app
        assert isinstance(app, TruePortApp)
        try:
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                yield ControlPlaneHarness(url, settings, app, sessions, client)
        finally:
            server.should_exit = True
            await task
