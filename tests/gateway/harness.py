"""A running gateway (uvicorn, in the test's event loop) in front of the provider emulator.

Every provider type is configured against the emulator; aliases name the path under test:
``oa`` (OpenAI), ``an`` (Anthropic), ``ge`` (Gemini), ``az`` (Azure OpenAI), ``failover`` (a 503
target, then a working one), ``all-down``, ``all-429``, ``hang`` and ``emb`` (embeddings).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy import select

from support.migrated import upgrade_empty_to_head
from trueport.app import TruePortApp, create_app
from trueport.db.engine import SessionFactory
from trueport.db.models import RequestRecord
from trueport.db.session import database
from trueport.keys.secret import key_hmac_secret
from trueport.keys.service import create_key
from trueport.settings import Settings, async_database_url, load_settings
from trueport.tenants.service import create_tenant

PROVIDER_KEY = "sk-provider-secret"


def gateway_settings(database_url: str, mock_url: str, **overrides: Any) -> Settings:
    def provider(kind: str, base_url: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "base_url": base_url,
            "api_key": PROVIDER_KEY,
            "connect_timeout_s": 2,
            "timeout_s": 3,
            "stream_idle_timeout_s": 3,
            **extra,
        }

    values: dict[str, Any] = {
        "database": database_url,
        "secret_key": "test-secret-key-that-is-at-least-32-bytes-long",
        "providers": {
            "oa": provider("openai", f"{mock_url}/v1"),
            "an": provider("anthropic", mock_url),
            "ge": provider("gemini", mock_url),
            "az": provider("azure_openai", mock_url, api_version="2024-10-21"),
            "dead": provider("openai", "http://127.0.0.1:9/v1"),
        },
        "models": {
            "oa": [{"provider": "oa", "model": "gpt-4o-mini"}],
            "an": [{"provider": "an", "model": "claude-sonnet-4-5"}],
            "ge": [{"provider": "ge", "model": "gemini-2.5-flash"}],
            "az": [{"provider": "az", "model": "gpt-4o"}],
            "emb": [{"provider": "oa", "model": "text-embedding-3-small"}],
            "failover": [
                {"provider": "oa", "model": "gpt-4o+status=503"},
                {"provider": "dead", "model": "gpt-4o"},
                {"provider": "an", "model": "claude-sonnet-4-5"},
            ],
            "all-down": [{"provider": "oa", "model": "m+status=500"}, {"provider": "dead", "model": "m"}],
            "all-429": [
                {"provider": "oa", "model": "m+status=429"},
                {"provider": "an", "model": "m+status=429"},
            ],
            "hang": [{"provider": "oa", "model": "m+hang"}],
            "cut": [{"provider": "oa", "model": "gpt-4o+cut=2"}],
            "bad-request": [{"provider": "oa", "model": "m+status=400"}, {"provider": "an", "model": "m"}],
            "with-fallback-message": {
                "targets": [{"provider": "oa", "model": "m+status=503"}],
                "fallback": {"message": "The assistant is unavailable; please try again later."},
            },
            "with-fallback-target": {
                "targets": [{"provider": "dead", "model": "gpt-4o"}],
                "fallback": {"provider": "ge", "model": "gemini-2.0-flash"},
            },
            "cached": {"targets": [{"provider": "oa", "model": "gpt-4o-mini"}], "cache_ttl_s": 60},
            "slow": [{"provider": "oa", "model": "gpt-4o-mini+delay=400"}],
            "broken-fallback": {
                "targets": [{"provider": "oa", "model": "m+status=429"}],
                "fallback": {"provider": "dead", "model": "m"},
            },
        },
        "key_refresh_interval_s": 0.5,
        "recorder": {"flush_interval_ms": 20},
        "limits": {"max_body_bytes": 64 * 1024},
        "guard": {"enabled": False},
        "resilience": {"deadline_s": 4.0},  # the guard's own end-to-end tests turn it on
        # Each app its own audit spool: a shared one would let one test's app replay another's events.
        "audit": {"spool_dir": tempfile.mkdtemp(prefix="trueport-audit-spool-")},
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass
class RunningGateway:
    url: str
    key: str
    settings: Settings
    app: TruePortApp
    sessions: SessionFactory
    tenant_id: str

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    async def new_key(self, **options: Any) -> str:
        secret = await key_hmac_secret(self.settings, self.sessions)
        async with self.sessions() as session:
            from trueport.tenants.repository import TenantRepository

            tenant = await TenantRepository(session).get_by_slug("acme")
            assert tenant is not None
            created = await create_key(session, tenant, hmac_secret=secret, **options)
            await session.commit()
        return created.secret

    async def records(self) -> list[RequestRecord]:
        """Every record so far, once the calls in progress have ended (a stream's client may finish
        reading before the gateway has settled its limits and submitted its record)."""
        for _ in range(500):
            if self.app.gateway.active_calls == 0:
                break
            await asyncio.sleep(0.01)
        await self.app.gateway.records.flush()
        async with self.sessions() as session:
            result = await session.execute(select(RequestRecord).order_by(RequestRecord.created_at))
            return list(result.scalars())


async def start_gateway(settings: Settings) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=0,
            lifespan="on",
            log_level="warning",
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        task.result()  # raises what went wrong
        raise RuntimeError("gateway did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[RunningGateway]:
    """A migrated database with tenant ``acme`` and one key, and the gateway serving it until exit."""
    await asyncio.to_thread(upgrade_empty_to_head, async_database_url(settings.database))
    async with database(settings) as sessions:
        async with sessions() as session:
            tenant = await create_tenant(session, "acme")
            await session.commit()
        secret = await key_hmac_secret(settings, sessions)
        async with sessions() as session:
            created = await create_key(session, tenant, hmac_secret=secret, name="test")
            await session.commit()
        server, task, url = await start_gateway(settings)
        app = server.config.app
        assert isinstance(app, TruePortApp)
        try:
            yield RunningGateway(url, created.secret, settings, app, sessions, tenant.id)
        finally:
            server.should_exit = True
            await task
