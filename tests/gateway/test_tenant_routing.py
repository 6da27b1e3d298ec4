"""``TenantRouting``: tenants' routes and credentials as an in-memory snapshot over the global router.

Real database (SQLite and PostgreSQL), real envelope and adapters; nothing is called upstream here
(the data-plane tests in ``tests/platform/routes`` do that through the running app).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import delete, event, select
from tests.gateway.harness import gateway_settings

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory
from trueport.db.models import ProviderCredential, Tenant, TenantRoute, new_id
from trueport.db.session import database
from trueport.gateway.router import Router
from trueport.gateway.tenant_routing import TenantRouting
from trueport.platform.credentials.envelope import Envelope
from trueport.platform.credentials.sealing import seal_api_key
from trueport.providers.registry import build_adapters
from trueport.settings import Settings
from trueport.tenants.service import create_tenant

MOCK = "http://127.0.0.1:9"  # never called


@dataclass
class World:
    settings: Settings
    sessions: SessionFactory
    envelope: Envelope
    routing: TenantRouting
    a: Tenant
    b: Tenant

    async def credential(self, tenant: Tenant, name: str, api_key: str = "sk-tenant-0123456789") -> str:
        async with self.sessions() as session:
            row = ProviderCredential(
                id=new_id(), tenant_id=tenant.id, name=name, type="openai", base_url=f"{MOCK}/v1"
            )
            seal_api_key(self.envelope, row, SecretStr(api_key))
            session.add(row)
            await session.commit()
        return row.id

    async def route(self, tenant: Tenant, alias: str, *providers: str, **extra: object) -> None:
        async with self.sessions() as session:
            targets = [{"provider": provider, "model": f"{provider}-model"} for provider in providers]
            session.add(TenantRoute(tenant_id=tenant.id, alias=alias, targets=targets, **extra))
            await session.commit()


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    shared = {"oa": ["oa-model"], "an": ["an-model"], "ge": ["g"]}  # what the routes below name
    settings = gateway_settings(database_url, MOCK, platform={"tenant_shared_models": shared})
    await asyncio.to_thread(upgrade_empty_to_head, settings.database_url)
    async with database(settings) as sessions, aiohttp.ClientSession() as http:
        async with sessions() as session:
            a, b = await create_tenant(session, "a"), await create_tenant(session, "b")
            await session.commit()
        envelope = Envelope({"k1": secrets.token_bytes(32)}, "k1")
        routing = TenantRouting(Router.from_settings(settings, build_adapters(settings, http)), settings)
        await routing.start(sessions, envelope)
        try:
            yield World(settings, sessions, envelope, routing, a, b)
        finally:
            await routing.close()


async def test_a_tenant_alias_is_that_tenants_only_and_shadows_the_global_one(world: World) -> None:
    await world.credential(world.a, "mine")
    await world.route(world.a, "mine", "mine")
    await world.route(world.a, "oa", "an", cache_ttl_s=5.0)  # shadows the config file's `oa`
    await world.routing.reload()
    a, b, routing = world.a.id, world.b.id, world.routing

    [target] = routing.targets(a, "mine") or ()
    assert (target.provider, target.model, target.adapter.name) == ("mine", "mine-model", "mine")
    assert routing.targets(b, "mine") is None
    assert [t.provider for t in routing.targets(a, "oa") or ()] == ["an"]
    assert [t.provider for t in routing.targets(b, "oa") or ()] == ["oa"]
    assert routing.cache_ttl_s(a, "oa") == 5.0 and routing.cache_ttl_s(b, "oa") is None
    assert routing.cache_ttl_s(b, "cached") == 60  # the config file's
    assert routing.aliases(a) == sorted({*world.settings.models, "mine"})
    assert routing.aliases(b) == sorted(world.settings.models)
    assert routing.targets(a, "nothing") is None


async def test_fallbacks_are_the_tenants_when_it_has_the_alias(world: World) -> None:
    await world.route(world.a, "with-fallback-message", "oa")  # the global one has a fallback
    await world.route(world.a, "own", "oa", fallback={"provider": "ge", "model": "g"})
    await world.route(world.a, "fixed", "oa", fallback={"message": "later"})
    await world.routing.reload()
    a, b, routing = world.a.id, world.b.id, world.routing
    assert routing.fallback(a, "with-fallback-message") is None
    assert routing.fallback(b, "with-fallback-message") is not None
    own = routing.fallback(a, "own")
    assert own is not None and (own.provider, own.model, own.owner) == ("ge", "g", None)
    fixed = routing.fallback(a, "fixed")
    assert fixed is not None and fixed.adapter.kind == "fixed"


async def test_a_tenants_credential_wins_over_a_configured_provider_of_that_name(world: World) -> None:
    a_id = await world.credential(world.a, "oa")
    b_id = await world.credential(world.b, "oa")
    await world.route(world.a, "x", "oa")
    await world.route(world.b, "x", "oa")
    await world.route(world.b, "y", "an")
    await world.routing.reload()
    [mine] = world.routing.targets(world.a.id, "x") or ()
    [theirs] = world.routing.targets(world.b.id, "x") or ()
    [configured] = world.routing.targets(world.b.id, "y") or ()
    assert mine.owner == a_id and theirs.owner == b_id and configured.owner is None
    assert mine.adapter is not world.routing.router.adapter("oa")
    # Breakers, metrics and records tell the two tenants' "oa" apart, and both from the config's.
    assert len({mine.label, theirs.label, "oa/oa-model"}) == 3


async def test_an_unusable_credential_drops_its_targets_and_is_never_replaced(world: World) -> None:
    await world.credential(world.a, "oa")
    await world.credential(world.a, "ok")
    await world.route(world.a, "x", "oa", "ok")
    await world.route(world.a, "only", "oa")
    async with world.sessions() as session:  # sealed under a master key this installation lacks
        row = (
            await session.execute(select(ProviderCredential).where(ProviderCredential.name == "oa"))
        ).scalar_one()
        seal_api_key(Envelope({"gone": secrets.token_bytes(32)}, "gone"), row, SecretStr("sk-x"))
        await session.commit()
    await world.routing.reload()
    assert [t.provider for t in world.routing.targets(world.a.id, "x") or ()] == ["ok"]
    assert world.routing.targets(world.a.id, "only") == ()  # not the operator's `oa`, not a 404


async def test_reload_reuses_unchanged_adapters_and_replaces_changed_ones(world: World) -> None:
    credential_id = await world.credential(world.a, "mine")
    await world.route(world.a, "mine", "mine")
    await world.routing.reload()
    [first] = world.routing.targets(world.a.id, "mine") or ()
    await world.routing.reload()
    [same] = world.routing.targets(world.a.id, "mine") or ()
    assert same.adapter is first.adapter

    async with world.sessions() as session:
        row = await session.get(ProviderCredential, credential_id)
        assert row is not None
        seal_api_key(world.envelope, row, SecretStr("sk-rotated-0123456789"))
        await session.commit()
    await world.routing.reload()
    [changed] = world.routing.targets(world.a.id, "mine") or ()
    assert changed.adapter is not first.adapter

    async with world.sessions() as session:
        await session.execute(delete(TenantRoute))
        await session.execute(delete(ProviderCredential))
        await session.commit()
    await world.routing.reload()
    assert world.routing.targets(world.a.id, "mine") is None
    assert world.routing.aliases(world.a.id) == sorted(world.settings.models)


async def test_a_reload_reads_each_table_once_and_lookups_read_nothing(world: World) -> None:
    for index in range(3):
        await world.credential(world.a, f"c{index}")
        await world.route(world.a, f"r{index}", f"c{index}", "oa")
    statements: list[str] = []
    engine = world.sessions.kw["bind"].sync_engine

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        await world.routing.reload()
        reload_statements = list(statements)
        for index in range(3):
            assert world.routing.targets(world.a.id, f"r{index}")
            world.routing.fallback(world.a.id, f"r{index}")
        world.routing.aliases(world.a.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in reload_statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, reload_statements
    assert statements == reload_statements


async def test_reload_before_start_is_an_error() -> None:
    settings = gateway_settings("sqlite:///unused.db", MOCK)
    routing = TenantRouting(Router({}), settings)
    with pytest.raises(RuntimeError, match="before start"):
        await routing.reload()
    assert routing.targets("t", "x") is None and routing.aliases("t") == []
