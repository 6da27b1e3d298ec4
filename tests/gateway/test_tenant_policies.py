"""Each tenant's guard policy, held in memory by the gateway and reloaded from ``tenant_policies``.

Real detectors (``pii``, ``secrets``: rules, no network) and a real database on both backends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from support.migrated import upgrade_empty_to_head
from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import Tenant, TenantPolicy
from trueport.errors import PolicyViolation
from trueport.gateway.guarding import GuardService
from trueport.gateway.tenant_policies import TenantPolicies, installation_policy
from trueport.guard.base import Detector
from trueport.guard.policy import Policy, default_policy
from trueport.guard.registry import default_detectors
from trueport.settings import GuardConfig, async_database_url
from trueport.tenants.service import create_tenant

EMAIL = "alice.martin@example-corp.com"
CONFIG = GuardConfig(detectors=["pii", "secrets"])


def blocking_emails() -> dict[str, Any]:
    """The default policy, except that an e-mail address in a prompt refuses the request."""
    policy = default_policy().model_dump(mode="json")
    policy["detectors"]["pii"]["input"]["types"] = {"email": "block"}
    return policy


@pytest.fixture(scope="module")
def detectors() -> list[Detector]:
    return default_detectors(CONFIG.detectors)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    url = async_database_url(database_url)
    await asyncio.to_thread(upgrade_empty_to_head, url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return session_factory(engine)


async def tenant(sessions: SessionFactory, slug: str) -> Tenant:
    async with sessions() as session:
        created = await create_tenant(session, slug)
        await session.commit()
    return created


async def save(sessions: SessionFactory, tenant: Tenant, version: int, policy: dict[str, Any]) -> None:
    async with sessions() as session:
        session.add(TenantPolicy(tenant_id=tenant.id, version=version, policy={**policy, "version": version}))
        await session.commit()


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs while the test does."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", note)


async def test_tenants_without_a_policy_get_the_installation_one(
    sessions: SessionFactory, detectors: list[Detector]
) -> None:
    installation = default_policy(version=7)
    policies = TenantPolicies(detectors, installation)
    await policies.reload(sessions)
    assert policies.size == 0
    assert policies.policy_for("no-such-tenant") is installation
    assert policies.policy_for(None) is installation
    assert policies.loaded_at is not None


async def test_each_tenant_gets_its_highest_version_in_one_query(
    sessions: SessionFactory, detectors: list[Detector], statements: list[str]
) -> None:
    acme, globex, initech = [await tenant(sessions, slug) for slug in ("acme", "globex", "initech")]
    for version in (1, 2, 3):
        await save(
            sessions, acme, version, blocking_emails() if version == 2 else default_policy().model_dump()
        )
    await save(sessions, globex, 1, blocking_emails())
    policies = TenantPolicies(detectors, default_policy())
    statements.clear()
    await policies.reload(sessions)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert policies.policy_for(acme.id).version == 3
    assert "email" not in policies.policy_for(acme.id).detectors["pii"].input.types
    assert policies.policy_for(globex.id).detectors["pii"].input.types["email"].action == "block"
    assert policies.policy_for(initech.id) is policies.installation.policy
    assert policies.engine_for(acme.id).tenant_id == acme.id


async def test_an_unchanged_version_keeps_its_engine_and_a_new_one_replaces_it(
    sessions: SessionFactory, detectors: list[Detector]
) -> None:
    acme = await tenant(sessions, "acme")
    await save(sessions, acme, 1, blocking_emails())
    policies = TenantPolicies(detectors, default_policy())
    await policies.reload(sessions)
    first = policies.engine_for(acme.id)
    await policies.reload(sessions)
    assert policies.engine_for(acme.id) is first
    await save(sessions, acme, 2, default_policy().model_dump())
    await policies.reload(sessions)
    assert policies.engine_for(acme.id) is not first
    assert policies.policy_for(acme.id).version == 2


async def test_a_tenant_whose_policies_are_gone_falls_back_to_the_installation_policy(
    sessions: SessionFactory, detectors: list[Detector]
) -> None:
    acme = await tenant(sessions, "acme")
    await save(sessions, acme, 1, blocking_emails())
    policies = TenantPolicies(detectors, default_policy())
    await policies.reload(sessions)
    async with sessions() as session:
        await session.execute(delete(TenantPolicy).where(TenantPolicy.tenant_id == acme.id))
        await session.commit()
    await policies.reload(sessions)
    assert policies.engine_for(acme.id) is policies.installation


async def test_a_stored_policy_that_no_longer_parses_keeps_the_previous_one(
    sessions: SessionFactory, detectors: list[Detector]
) -> None:
    acme, globex = await tenant(sessions, "acme"), await tenant(sessions, "globex")
    await save(sessions, acme, 1, blocking_emails())
    policies = TenantPolicies(detectors, default_policy())
    await policies.reload(sessions)
    await save(sessions, acme, 2, {"detectors": {"pii": {"input": {"action": "shred"}}}})
    await save(sessions, globex, 1, {"detectors": "not an object"})
    await policies.reload(sessions)
    assert policies.policy_for(acme.id).version == 1  # the last good one
    assert policies.engine_for(globex.id) is policies.installation  # had none before


async def test_a_failed_reload_keeps_the_policies_in_memory(
    sessions: SessionFactory, detectors: list[Detector], tmp_path: Path
) -> None:
    acme = await tenant(sessions, "acme")
    await save(sessions, acme, 1, blocking_emails())
    policies = TenantPolicies(detectors, default_policy())
    await policies.reload(sessions)
    unreachable = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/trueport.db")
    try:
        with pytest.raises(OperationalError, match="unable to open database file"):
            await policies.reload(session_factory(unreachable))
    finally:
        await unreachable.dispose()
    assert policies.policy_for(acme.id).version == 1


async def test_each_call_is_guarded_by_its_tenants_policy_and_records_its_version(
    sessions: SessionFactory, detectors: list[Detector]
) -> None:
    acme, globex = await tenant(sessions, "acme"), await tenant(sessions, "globex")
    await save(sessions, acme, 1, default_policy().model_dump())
    await save(sessions, acme, 2, blocking_emails())
    guard = GuardService(CONFIG, detectors, default_policy())
    await guard.policies_reloader(sessions)()
    request = {"model": "m", "messages": [{"role": "user", "content": f"Write to {EMAIL} today"}]}

    blocked = guard.for_call(acme.id)
    with pytest.raises(PolicyViolation) as raised:
        await blocked.screen_request(request)
    assert "pii" in str(raised.value) and EMAIL not in str(raised.value)
    assert [(v["type"], v["action"], v["policy_version"]) for v in blocked.violations] == [
        ("email", "block", 2)
    ]

    redacted = guard.for_call(globex.id)
    sent = await redacted.screen_request(request)
    assert EMAIL not in str(sent)
    assert [(v["type"], v["action"], v["policy_version"]) for v in redacted.violations] == [
        ("email", "redact", 1)
    ]


def test_the_installation_policy_is_the_policy_file_or_the_default(tmp_path: Path) -> None:
    assert installation_policy(GuardConfig()) == default_policy()
    path = tmp_path / "policy.json"
    path.write_bytes(Policy.from_dict({**blocking_emails(), "version": 4}).to_json())
    loaded = installation_policy(GuardConfig(policy_file=str(path)))
    assert loaded.version == 4
    assert loaded.detectors["pii"].input.types["email"].action == "block"


async def test_the_built_in_default_names_only_the_detectors_the_installation_runs() -> None:
    """Its rules for a detector left out of ``guard.detectors`` would fail closed: every call refused."""
    config = GuardConfig(detectors=["secrets"])
    policy = installation_policy(config)
    assert list(policy.detectors) == ["secrets"]
    assert policy.detectors["secrets"] == default_policy().detectors["secrets"]
    guard = GuardService(config, default_detectors(config.detectors), policy)
    request = {"model": "m", "messages": [{"role": "system", "content": "You are a helpful assistant."}]}
    request["messages"].append({"role": "user", "content": f"Write to {EMAIL} today"})
    call = guard.for_call("any-tenant")
    sent = await call.screen_request(request)
    assert EMAIL in str(sent) and call.violations == []  # pii is not installed: nothing to redact
    token = "ghp_" + "Zq8Lw3Rt6Yp1Xv4Bn7Mk2Jh5Gf9Dc0Sa3Ue8"
    leaked = {"model": "m", "messages": [{"role": "user", "content": f"my token is {token}, keep it"}]}
    with pytest.raises(PolicyViolation, match="secrets"):  # the installed one keeps its default rules
        await guard.for_call("any-tenant").screen_request(leaked)
