"""``Flags``: the accessor's precedence (tenant, then installation API, then config, then default),
the snapshot swap, the reload from the database and the 30 s safety-net refresh."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import InstallationSetting, TenantFeatureFlag, TenantSettings
from trueport.flags.evaluator import Flags
from trueport.flags.registry import FLAGS, Flag
from trueport.flags.rules import FlagRule
from trueport.flags.store import StoredFlags, installation_row_name
from trueport.jsonutil import dumps
from trueport.settings import async_database_url
from trueport.tenants.service import create_tenant


def test_every_flag_answers_its_default_when_nothing_is_set() -> None:
    flags = Flags()
    for flag, spec in FLAGS.items():
        assert flags.enabled(flag, tenant_id="t", key_id="k") is spec.default
    assert Flags().enabled(Flag.RESPONSE_CACHE)
    assert not Flags().enabled(Flag.CANARY_TARGETS)


def test_the_config_file_rule_replaces_the_default() -> None:
    flags = Flags({Flag.RESPONSE_CACHE: FlagRule(enabled=False), Flag.CANARY_TARGETS: FlagRule(enabled=True)})
    assert not flags.enabled(Flag.RESPONSE_CACHE, tenant_id="t", key_id="k")
    assert flags.enabled(Flag.CANARY_TARGETS, tenant_id="t", key_id="k")


def test_stored_rules_win_tenant_first() -> None:
    flags = Flags({Flag.CANARY_TARGETS: FlagRule(enabled=True)})
    flags.replace(
        StoredFlags(
            installation={Flag.CANARY_TARGETS: FlagRule(enabled=True, percent=0, tenants=("t-in",))},
            tenants={"t-own": {Flag.CANARY_TARGETS: FlagRule(enabled=True, keys=("k-own",), percent=0)}},
        )
    )
    assert not flags.enabled(Flag.CANARY_TARGETS, tenant_id="t-other", key_id="k"), "API rule replaces config"
    assert flags.enabled(Flag.CANARY_TARGETS, tenant_id="t-in", key_id="k"), "targeted tenant"
    assert flags.enabled(Flag.CANARY_TARGETS, tenant_id="t-own", key_id="k-own"), "tenant rule, listed key"
    assert not flags.enabled(Flag.CANARY_TARGETS, tenant_id="t-own", key_id="k2"), "tenant rule wins"
    assert flags.enabled(Flag.RESPONSE_CACHE, tenant_id="t-own", key_id="k2"), "other flags: installation's"
    assert flags.installation_rule(Flag.CANARY_TARGETS).tenants == ("t-in",)


def test_a_replace_is_seen_by_the_next_call() -> None:
    flags = Flags()
    assert flags.enabled(Flag.RESPONSE_CACHE, tenant_id="t", key_id="k")
    flags.replace(StoredFlags(tenants={"t": {Flag.RESPONSE_CACHE: FlagRule(enabled=False)}}))
    assert not flags.enabled(Flag.RESPONSE_CACHE, tenant_id="t", key_id="k")
    flags.replace(StoredFlags())
    assert flags.enabled(Flag.RESPONSE_CACHE, tenant_id="t", key_id="k")


def test_thirty_percent_of_ten_thousand_keys() -> None:
    flags = Flags()
    flags.replace(StoredFlags(installation={Flag.CANARY_TARGETS: FlagRule(enabled=True, percent=30)}))
    on = sum(flags.enabled(Flag.CANARY_TARGETS, tenant_id="t", key_id=f"key-{n}") for n in range(10_000))
    assert 2_700 <= on <= 3_300
    again = sum(flags.enabled(Flag.CANARY_TARGETS, tenant_id="t", key_id=f"key-{n}") for n in range(10_000))
    assert again == on, "the same keys get the same answer"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


async def test_reload_reads_every_stored_rule(sessions: SessionFactory) -> None:
    async with sessions() as session:
        acme = await create_tenant(session, "acme")
        beta = await create_tenant(session, "beta")
        session.add(
            InstallationSetting(
                name=installation_row_name(Flag.CANARY_TARGETS),
                value=dumps({"enabled": True, "percent": 0, "tenants": [beta.id]}).decode(),
            )
        )
        session.add(InstallationSetting(name="flag:no_such_flag", value='{"enabled": true}'))
        session.add(
            InstallationSetting(name=installation_row_name(Flag.GUARD_SHADOW_TRIAL), value="not json")
        )
        session.add(TenantFeatureFlag(tenant_id=acme.id, name="response_cache", rule={"enabled": False}))
        session.add(TenantFeatureFlag(tenant_id=acme.id, name="canary_targets", rule={"enabled": "maybe"}))
        session.add(
            TenantSettings(tenant_id=beta.id, feature_flags={"response_cache": False, "playground": True})
        )
        await session.commit()
    flags = Flags()
    await flags.reload(sessions)
    assert not flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.id, key_id="k")
    assert not flags.enabled(Flag.RESPONSE_CACHE, tenant_id=beta.id, key_id="k"), "a /settings boolean counts"
    assert flags.enabled(Flag.CANARY_TARGETS, tenant_id=beta.id, key_id="k")
    assert not flags.enabled(Flag.CANARY_TARGETS, tenant_id=acme.id, key_id="k"), "a bad row is skipped"
    assert not flags.enabled(Flag.GUARD_SHADOW_TRIAL, tenant_id=acme.id, key_id="k")

    async with sessions() as session:  # a tenant row wins over the /settings boolean
        session.add(TenantFeatureFlag(tenant_id=beta.id, name="response_cache", rule={"enabled": True}))
        await session.commit()
    await flags.reload(sessions)
    assert flags.enabled(Flag.RESPONSE_CACHE, tenant_id=beta.id, key_id="k")


async def test_the_background_refresh_catches_a_change_without_any_push(sessions: SessionFactory) -> None:
    async with sessions() as session:
        acme = await create_tenant(session, "acme")
        await session.commit()
    flags = Flags(refresh_s=0.05)
    await flags.reload(sessions)
    flags.start(sessions)
    try:
        assert flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.id, key_id="k")
        async with sessions() as session:
            session.add(TenantFeatureFlag(tenant_id=acme.id, name="response_cache", rule={"enabled": False}))
            await session.commit()
        for _ in range(100):
            if not flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.id, key_id="k"):
                break
            await asyncio.sleep(0.02)
        assert not flags.enabled(Flag.RESPONSE_CACHE, tenant_id=acme.id, key_id="k")
    finally:
        await flags.stop()
    async with sessions() as session:
        assert (await session.scalars(select(TenantFeatureFlag.name))).all() == ["response_cache"]


def test_the_refresh_is_at_most_thirty_seconds_by_default() -> None:
    assert Flags().refresh_s <= 30.0
