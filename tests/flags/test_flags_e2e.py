"""Feature flags end to end, on real PostgreSQL and Redis with two gateway replicas: a rule set
through one replica's API reaches the other by the Redis push (no restart, no poll), a 30 % rollout
hits 30 % +/- 3 % of 10,000 keys, and real HTTP calls change behaviour as the flag says (canary
targets, the response cache, the guard's shadow trial)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.gateway.harness import PROVIDER_KEY, start_gateway
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from support.postgres import PostgresServer
from trueport.app import TruePortApp
from trueport.db.models import GuardViolation, Tenant
from trueport.flags.registry import Flag
from trueport.keys.service import create_key
from trueport.mockprovider import MockProvider

pytestmark = pytest.mark.postgres

CANARY = "canary"  # alias: the canary target (Anthropic) behind the flag, then the stable one (OpenAI)
AWS_KEY = "AKIA" + "QYLPMN5HHHFPZAM2"
NO_POLL_S = 600.0  # the replicas' generation poll never runs in a test: only the push can be seen


@dataclass
class Installation:
    a: ControlPlaneHarness  # the replica whose API the tests call
    b: TruePortApp  # another replica, sharing the database and Redis
    b_url: str
    tenant: Tenant
    admin: dict[str, str]  # a tenant admin's Authorization header

    async def key(self, name: str = "k") -> tuple[str, str]:
        """A new key of the tenant: its id and its secret."""
        async with self.a.sessions() as session:
            created = await create_key(
                session, self.tenant, hmac_secret=self.a.platform.key_secret, name=name
            )
            await session.commit()
        return created.key.id, created.secret


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as server:
        yield server


@asynccontextmanager
async def two_replicas(
    postgres_server: PostgresServer, redis_url: str, mock: MockProvider, **overrides: Any
) -> AsyncIterator[Installation]:
    database_url = postgres_server.create_database(f"t_flags_{time.monotonic_ns()}")
    settings = platform_settings(database_url, mock.url, redis=redis_url, **overrides)
    settings = settings.model_copy(
        update={
            "platform": settings.platform.model_copy(update={"live_config_poll_s": NO_POLL_S}),
            "models": {
                **settings.models,
                CANARY: settings.models["oa"].model_copy(
                    update={
                        "targets": [
                            settings.models["an"].targets[0].model_copy(update={"flag": Flag.CANARY_TARGETS}),
                            settings.models["oa"].targets[0],
                        ]
                    }
                ),
            },
        }
    )
    try:
        async with running_platform(settings) as a:
            tenant = await a.tenant("acme")
            user = await a.user("admin@acme.example")
            await a.member(tenant, user, "admin")
            server, task, b_url = await start_gateway(settings)
            b = server.config.app
            assert isinstance(b, TruePortApp)
            try:
                yield Installation(a, b, b_url, tenant, a.auth(user, tenant))
            finally:
                server.should_exit = True
                await task
    finally:
        postgres_server.drop_database(database_url.rsplit("/", 1)[1])


async def within(seconds: float, condition: Callable[[], bool]) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def chat(content: str = "hello", model: str = CANARY) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}]}


async def test_a_30_percent_rollout_reaches_another_replica_by_push_and_picks_30_percent_of_keys(
    postgres_server: PostgresServer, redis_url: str, mock: MockProvider
) -> None:
    async with two_replicas(postgres_server, redis_url, mock) as inst:
        flags = inst.b.gateway.flags
        tenant_id = inst.tenant.id
        assert not flags.enabled(Flag.CANARY_TARGETS, tenant_id=tenant_id, key_id="any")
        other = inst.a.app.gateway.flags  # replica A, whose API takes the change
        reloads, other_reloads = flags.reloads, other.reloads
        saved = await inst.a.client.put(
            "/api/v1/flags/canary_targets", json={"enabled": True, "percent": 30}, headers=inst.admin
        )
        assert saved.status_code == 200, saved.text
        assert await within(3, lambda: flags.reloads > reloads) < 3, "pushed through Redis to replica B"
        await within(3, lambda: other.reloads > other_reloads)

        # 10,000 distinct keys through the accessor the gateway uses.
        on = sum(
            flags.enabled(Flag.CANARY_TARGETS, tenant_id=tenant_id, key_id=f"key-{n:05d}")
            for n in range(10_000)
        )
        assert 2_700 <= on <= 3_300, on
        assert on == sum(
            flags.enabled(Flag.CANARY_TARGETS, tenant_id=tenant_id, key_id=f"key-{n:05d}")
            for n in range(10_000)
        )
        assert all(  # replica A answers the same for every key
            other.enabled(Flag.CANARY_TARGETS, tenant_id=tenant_id, key_id=f"key-{n:05d}")
            == flags.enabled(Flag.CANARY_TARGETS, tenant_id=tenant_id, key_id=f"key-{n:05d}")
            for n in range(0, 10_000, 7)
        )

        # Real calls to replica B: each key is served by the canary target exactly when its flag is on.
        keys = [await inst.key(f"k{n}") for n in range(40)]
        served: dict[bool, int] = {True: 0, False: 0}
        async with httpx.AsyncClient(base_url=inst.b_url, timeout=10) as client:
            for key_id, secret in keys:
                expected = flags.enabled(Flag.CANARY_TARGETS, tenant_id=tenant_id, key_id=key_id)
                for _ in range(2):  # the same key, the same answer
                    answer = await client.post(
                        "/v1/chat/completions", json=chat(), headers={"Authorization": f"Bearer {secret}"}
                    )
                    assert answer.status_code == 200, answer.text
                    assert answer.json()["model"].startswith("claude" if expected else "gpt"), (
                        key_id,
                        expected,
                    )
                served[expected] += 1
        assert served[True] and served[False], served

        # Switched off through the API: every key is back on the stable target, without a restart.
        reloads = flags.reloads
        off = await inst.a.client.put(
            "/api/v1/flags/canary_targets", json={"enabled": False}, headers=inst.admin
        )
        assert off.status_code == 200
        await within(3, lambda: flags.reloads > reloads)
        async with httpx.AsyncClient(base_url=inst.b_url, timeout=10) as client:
            for _key_id, secret in keys[:10]:
                answer = await client.post(
                    "/v1/chat/completions", json=chat(), headers={"Authorization": f"Bearer {secret}"}
                )
                assert answer.json()["model"].startswith("gpt")


async def test_the_response_cache_follows_its_flag(
    postgres_server: PostgresServer, redis_url: str, mock: MockProvider
) -> None:
    async with two_replicas(postgres_server, redis_url, mock) as inst:
        flags = inst.b.gateway.flags
        key_id, secret = await inst.key()
        auth = {"Authorization": f"Bearer {secret}"}
        body = chat("what is 2 + 2?", model="cached")
        async with httpx.AsyncClient(base_url=inst.b_url, timeout=10) as client:

            async def cache_header() -> str | None:
                answer = await client.post("/v1/chat/completions", json=body, headers=auth)
                assert answer.status_code == 200, answer.text
                header: str | None = answer.headers.get("x-trueport-cache")
                return header

            assert await cache_header() == "miss"
            assert await cache_header() == "hit"
            put = await inst.a.client.put(
                "/api/v1/flags/response_cache", json={"enabled": False}, headers=inst.admin
            )
            assert put.status_code == 200
            await within(
                3, lambda: not flags.enabled(Flag.RESPONSE_CACHE, tenant_id=inst.tenant.id, key_id=key_id)
            )
            assert await cache_header() is None, "off: straight upstream, no cache header"
            assert await cache_header() is None
            cleared = await inst.a.client.delete("/api/v1/flags/response_cache", headers=inst.admin)
            assert cleared.status_code == 204
            await within(
                3, lambda: flags.enabled(Flag.RESPONSE_CACHE, tenant_id=inst.tenant.id, key_id=key_id)
            )
            assert await cache_header() == "hit", "the stored answer is served again"


async def test_the_shadow_trial_records_findings_without_enforcing_them(
    postgres_server: PostgresServer, redis_url: str, mock: MockProvider, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": 1, "detectors": {}}))  # the installation runs no detector
    guard = {
        "enabled": True,
        "detectors": ["secrets"],
        "policy_file": str(policy),
        "shadow_trial": ["secrets"],
    }
    async with two_replicas(postgres_server, redis_url, mock, guard=guard) as inst:
        flags = inst.b.gateway.flags
        key_id, secret = await inst.key()
        auth = {"Authorization": f"Bearer {secret}"}
        leaky = chat(f"my key is {AWS_KEY}", model="oa")

        async def shadow_findings() -> list[GuardViolation]:
            await inst.b.gateway.records.flush()
            async with inst.a.sessions() as session:
                rows = await session.execute(select(GuardViolation).where(GuardViolation.key_id == key_id))
                return list(rows.scalars())

        async with httpx.AsyncClient(base_url=inst.b_url, timeout=10) as client:
            answer = await client.post("/v1/chat/completions", json=leaky, headers=auth)
            assert answer.status_code == 200 and "x-trueport-guard" not in answer.headers
            assert await shadow_findings() == [], "flag off: the detector does not run"

            admin = {"Authorization": f"Bearer {inst.a.settings.admin_token.get_secret_value()}"}  # type: ignore[union-attr]
            put = await inst.a.client.put(
                "/api/v1/admin/flags/guard_shadow_trial",
                json={"enabled": True, "percent": 0, "keys": [key_id]},
                headers=admin,
            )
            assert put.status_code == 200, put.text
            await within(
                3, lambda: flags.enabled(Flag.GUARD_SHADOW_TRIAL, tenant_id=inst.tenant.id, key_id=key_id)
            )

            answer = await client.post("/v1/chat/completions", json=leaky, headers=auth)
            assert answer.status_code == 200, "shadow: recorded, never enforced"
            assert "x-trueport-guard" not in answer.headers, "nor reported to the application"
            deadline = time.monotonic() + 5
            while not (found := await shadow_findings()):
                assert time.monotonic() < deadline, "no shadow finding recorded"
                await asyncio.sleep(0.05)
            assert {(f.detector, f.shadow) for f in found} == {("secrets", True)}
            assert AWS_KEY not in json.dumps([f.location for f in found])

            other_id, other_secret = await inst.key("other")  # not targeted: nothing runs for it
            answer = await client.post(
                "/v1/chat/completions", json=leaky, headers={"Authorization": f"Bearer {other_secret}"}
            )
            assert answer.status_code == 200
            await inst.b.gateway.records.flush()
            async with inst.a.sessions() as session:
                rows = await session.execute(select(GuardViolation).where(GuardViolation.key_id == other_id))
                assert list(rows.scalars()) == []
