"""Audit on vs off: N chat completions through the in-process app (httpx ASGITransport), C at a time.

Not a test (pytest does not collect it). Run from the repository root:
    PYTHONPATH=.:tests uv run python tests/audit/latency_bench.py 2000 32 sqlite
    PYTHONPATH=.:tests uv run python tests/audit/latency_bench.py 500 1 postgresql+asyncpg://...
"""

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from tests.gateway.harness import PROVIDER_KEY, gateway_settings

from trueport.app import TruePortApp
from trueport.db.migrate import upgrade_to_head
from trueport.db.session import database
from trueport.keys.secret import key_hmac_secret
from trueport.keys.service import create_key
from trueport.logging import configure_logging
from trueport.mockprovider import MockProvider
from trueport.settings import async_database_url
from trueport.tenants.service import create_tenant

N, C, DB, FLUSH_MS = 0, 0, "", 50


async def run(client: httpx.AsyncClient, secret: str) -> list[float]:
    latencies: list[float] = []
    sem = asyncio.Semaphore(C)
    body = {"model": "oa", "messages": [{"role": "user", "content": "hello"}]}

    async def one() -> None:
        async with sem:
            start = time.perf_counter()
            r = await client.post(
                "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {secret}"}
            )
            assert r.status_code == 200, r.text
            latencies.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(one() for _ in range(N)))
    return latencies


def report(name: str, lat: list[float], wall: float) -> None:
    q = statistics.quantiles(lat, n=100)
    print(
        f"{name:10s} n={len(lat)} c={C} p50={q[49]:.2f}ms p99={q[98]:.2f}ms throughput={len(lat) / wall:.0f} req/s"
    )


async def main(n: int, c: int, db: str, flush_ms: int = 50) -> None:
    global N, C, DB, FLUSH_MS
    N, C, DB, FLUSH_MS = n, c, db, flush_ms
    configure_logging("warning")
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp}/bench.db" if DB == "sqlite" else DB
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as mock:
        settings = gateway_settings(
            url,
            mock.url,
            audit={"spool_dir": str(tmp / "spool"), "flush_interval_ms": FLUSH_MS},
            log_level="warning",
        )
        await asyncio.to_thread(upgrade_to_head, async_database_url(url))
        async with database(settings) as sessions:
            async with sessions() as session:
                tenant = await create_tenant(session, f"bench{int(time.time())}")
                await session.commit()
            secret = await key_hmac_secret(settings, sessions)
            async with sessions() as session:
                created = await create_key(session, tenant, hmac_secret=secret, name="bench")
                await session.commit()
        app = TruePortApp(settings)
        await app.startup()
        trail = app.gateway.audit
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=30
            ) as client:
                await run(client, created.secret)  # warm-up (with audit)
                for label in ("audit off", "audit on", "audit off", "audit on"):
                    app.gateway.audit = None if label == "audit off" else trail
                    start = time.perf_counter()
                    lat = await run(client, created.secret)
                    report(label, lat, time.perf_counter() - start)
            assert trail is not None
            log = trail.trail.log
            print(f"committed={log.committed} spooled={log.spooled} failures={log.failures}")
        finally:
            await app.shutdown()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
