"""Issue #6's acceptance test for budgets: 50 concurrent requests at a budget's edge, spread over
three ``trueport serve`` replicas sharing one Redis and one PostgreSQL, overspend by at most one
reservation, and the committed spend equals the sum of the recorded request costs.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.replicas.harness import Replicas, trueport
from tests.support.postgres import PostgresServer

from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.models import BudgetPeriod, Membership, RequestRecord, Tenant, User
from trueport.mockprovider import MockProviderThread
from trueport.platform.auth.passwords import Passwords
from trueport.platform.auth.tokens import TokenCodec
from trueport.settings import async_database_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

JWT_SECRET = "kq3VJ0dT9xw8Lr2pZ7yHc5mB1nF4gE6aUoWsXiRtYvQe"
WORDS = 40
MAX_TOKENS = 100
CHAT = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": " ".join(["word"] * WORDS)}],
    "max_tokens": MAX_TOKENS,
}
BUDGET_USD = Decimal("0.003")  # ~40 worst-case holds at once, ~95 real answers in all


def write_config(path: Path, *, database_url: str, redis_url: str, upstream: str) -> Path:
    path.write_text(f"""
database: {database_url}
redis: {redis_url}
secret_key: replica-test-secret-that-is-32-bytes-or-more
key_refresh_interval_s: 60
guard: {{enabled: false}}
records: {{flush_interval_ms: 100}}
platform:
  jwt_secret: {JWT_SECRET}
  master_keys: {{k1: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}}
  active_master_key: k1
  live_config_poll_s: 1
providers:
  oa: {{type: openai, base_url: "{upstream}/v1", api_key: "sk-up"}}
models:
  gpt-4o-mini: [{{provider: oa, model: gpt-4o-mini}}]
""")
    return path


@dataclass
class Installation:
    replicas: Replicas
    sessions: SessionFactory
    tenant: Tenant
    owner: dict[str, str]


@pytest.fixture
def database(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"budgets_{secrets.token_hex(6)}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


@pytest.fixture
async def installation(tmp_path: Path, database: str, redis_url: str) -> AsyncIterator[Installation]:
    with MockProviderThread(api_key="sk-up") as mock:
        config = write_config(
            tmp_path / "trueport.yaml", database_url=database, redis_url=redis_url, upstream=mock.url
        )
        trueport("migrate", config=config)
        trueport("tenants", "create", "acme", config=config)
        engine = create_engine(async_database_url(database))
        sessions = session_factory(engine)
        async with sessions() as session:
            tenant = (await session.scalars(select(Tenant).where(Tenant.slug == "acme"))).one()
            user = User(
                email="owner@acme.test", name="owner", password_hash=await Passwords(1).hash("x" * 12)
            )
            session.add(user)
            await session.flush()
            session.add(Membership(tenant_id=tenant.id, user_id=user.id, role="owner"))
            await session.commit()
        codec = TokenCodec(JWT_SECRET.encode(), issuer="trueport", audience="trueport-api", ttl_s=900)
        owner = {"Authorization": f"Bearer {codec.issue(user.id, tenant.id)}"}
        group = Replicas(config)
        try:
            await asyncio.to_thread(group.start, 3, tmp_path)
            yield Installation(group, sessions, tenant, owner)
        finally:
            await asyncio.to_thread(group.stop)
            await engine.dispose()


async def generations(http: httpx.AsyncClient, urls: list[str]) -> list[int]:
    return [(await http.get(f"{url}/readyz")).json()["config_generation"] for url in urls]


async def test_concurrent_requests_at_a_budgets_edge_overspend_by_at_most_one_reservation(
    installation: Installation,
) -> None:
    urls = installation.replicas.urls
    async with httpx.AsyncClient(
        timeout=30, limits=httpx.Limits(max_connections=60, keepalive_expiry=1)
    ) as http:
        created = await http.post(f"{urls[0]}/api/v1/keys", json={"name": "k"}, headers=installation.owner)
        secret = created.json()["secret"]
        before = max(await generations(http, urls))
        budget = await http.post(
            f"{urls[1]}/api/v1/budgets",
            json={"name": "edge", "unit": "usd", "amount": str(BUDGET_USD), "period": "daily"},
            headers=installation.owner,
        )
        assert budget.status_code == 201, budget.text
        budget_id = budget.json()["id"]
        for _ in range(100):  # every replica has applied the change (pushed, else polled each second)
            if min(await generations(http, urls)) > before:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the budget did not reach every replica")

        async def one(index: int) -> int:
            url = urls[index % 3]
            try:
                answer = await http.post(
                    f"{url}/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {secret}"}
                )
            except httpx.TransportError as exc:
                raise AssertionError(f"{url}: {exc!r}") from exc
            if answer.status_code == 402:
                assert answer.json()["error"]["code"] == "budget_exceeded"
            return answer.status_code

        statuses: list[int] = []
        while True:  # bursts of 50 until one is refused whole: the budget is at its edge
            burst = await asyncio.gather(*(one(i) for i in range(50)))
            statuses += burst
            if 200 not in burst:
                break
        assert set(statuses) <= {200, 402}, statuses
        await asyncio.sleep(2.5)  # the record writers and budget ledgers flush every 0.1 s and 1 s

        status = (
            await http.get(f"{urls[2]}/api/v1/budgets/{budget_id}/status", headers=installation.owner)
        ).json()
    async with installation.sessions() as session:
        recorded = await session.scalar(
            select(func.sum(RequestRecord.cost_usd)).where(
                RequestRecord.tenant_id == installation.tenant.id, RequestRecord.status_code == 200
            )
        )
        durable = await session.scalar(select(BudgetPeriod.spent).where(BudgetPeriod.budget_id == budget_id))
    # The worst case of one request: its prompt estimate and max_tokens at gpt-4o-mini's prices.
    one_reservation = Decimal(MAX_TOKENS + 2 * WORDS) * Decimal("0.60") / 1_000_000
    spent = Decimal(status["spent"])
    overspend = max(Decimal(0), spent - BUDGET_USD)
    print(
        f"\nbudget {BUDGET_USD} USD; {statuses.count(200)} answered, {statuses.count(402)} refused; "
        f"committed {spent} USD, recorded {recorded} USD, durable {durable} USD; "
        f"overspend {overspend} USD (one reservation ~{one_reservation} USD); reserved now {status['reserved']}"
    )
    assert overspend <= one_reservation
    assert spent == recorded  # the shared counter, exactly (both in units of 1e-10 USD)
    assert durable == spent.quantize(Decimal("0.000001"))  # BudgetPeriod.spent holds micro-dollars
    assert Decimal(status["reserved"]) == 0
    assert status["exhausted"] or Decimal(status["remaining"]) < one_reservation
