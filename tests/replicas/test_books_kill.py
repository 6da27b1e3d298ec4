"""The books survive the loss of a serving replica and of the recorder (PostgreSQL, Redis, real processes).

Two `trueport serve` replicas hand finished calls to the Redis stream (`recorder.handoff: redis`), each
with its own spool directory, and one `trueport recorder` keeps the books. A replica killed with
`kill -9` whose disk is then wiped has lost no audit event of a call it answered with a 2xx: the
answer waited for its call to be in Redis. The recorder killed with `kill -9` under load and started
again loses nothing and duplicates nothing: it re-reads what it had not acknowledged, and what is
already in the books is dropped.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from tests.replicas.harness import trueport
from tests.support import free_port
from tests.support.postgres import PostgresServer

from trueport.books.handoff import STREAM_KEY
from trueport.db.engine import create_engine
from trueport.jsonutil import loads
from trueport.mockprovider import MockProviderThread
from trueport.settings import async_database_url
from trueport.state.resp import RespClient, parse_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

_BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "keep my books"}]}


@pytest.fixture
def database(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"books_{uuid.uuid4().hex[:8]}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


@pytest.fixture(autouse=True)
async def empty_stream(redis_url: str) -> None:
    """Each test starts with no stream and no group: nothing another test left reaches its database."""
    client = RespClient(parse_url(redis_url), 2.0)
    try:
        await client.execute("DEL", STREAM_KEY)
    finally:
        await client.close()


def config(path: Path, *, database: str, redis_url: str, upstream: str, spool: Path) -> Path:
    path.write_text(f"""
database: {database}
redis: {redis_url}
secret_key: books-test-secret-that-is-32-bytes-or-more
guard: {{enabled: false}}
audit: {{spool_dir: '{spool}'}}
recorder: {{handoff: redis, run: external, member: books-recorder, claim_idle_s: 2}}
providers:
  oa: {{type: openai, base_url: "{upstream}/v1", api_key: "sk-up"}}
models:
  gpt-4o-mini: [{{provider: oa, model: gpt-4o-mini}}]
""")
    return path


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "trueport", *args], stdout=output, stderr=subprocess.STDOUT
        )


def serve(config_path: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = start(["serve", "--config", str(config_path), "--port", str(port)], log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def load(url: str, key: str, count: int, *, on_answer: object = None) -> tuple[list[str], int]:
    """``count`` chat completions, 20 at a time: the request ids of the 2xx answers, and the failures."""
    answered: list[str] = []
    failed = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(count):
        queue.put_nowait(number)

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal failed
        while not queue.empty():
            queue.get_nowait()
            try:
                response = await http.post(
                    f"{url}/v1/chat/completions", json=_BODY, headers={"Authorization": f"Bearer {key}"}
                )
            except httpx.TransportError:
                failed += 1
                continue
            if 200 <= response.status_code < 300:
                answered.append(response.headers["x-request-id"])
                if callable(on_answer):
                    on_answer(len(answered))
            else:
                failed += 1

    async with httpx.AsyncClient(timeout=30) as http:
        await asyncio.gather(*(worker(http) for _ in range(20)))
    return answered, failed


async def books(database: str) -> tuple[list[str], list[str]]:
    """Request ids of the data-plane audit events, and of the request records."""
    engine = create_engine(async_database_url(database))
    try:
        async with engine.connect() as db:
            bodies = (await db.execute(text("SELECT body FROM audit_events WHERE kind = 'data_plane'"))).all()
            records = (await db.execute(text("SELECT id FROM request_records"))).all()
    finally:
        await engine.dispose()
    return [loads(bytes(row[0]))["request_id"] for row in bodies], [row[0] for row in records]


async def wait_for_books(
    database: str, expected: set[str], timeout_s: float = 90
) -> tuple[list[str], list[str]]:
    deadline = time.monotonic() + timeout_s
    while True:
        events, records = await books(database)
        if (expected <= set(events) and expected <= set(records)) or time.monotonic() > deadline:
            return events, records
        await asyncio.sleep(0.5)


async def test_a_killed_replica_whose_disk_is_wiped_loses_no_answered_call(
    tmp_path: Path, database: str, redis_url: str
) -> None:
    with MockProviderThread(api_key="sk-up") as mock:
        first = config(
            tmp_path / "a.yaml",
            database=database,
            redis_url=redis_url,
            upstream=mock.url,
            spool=tmp_path / "a",
        )
        second = config(
            tmp_path / "b.yaml",
            database=database,
            redis_url=redis_url,
            upstream=mock.url,
            spool=tmp_path / "b",
        )
        trueport("migrate", config=first)
        trueport("tenants", "create", "acme", config=first)
        key = trueport("keys", "create", "--tenant", "acme", config=first).split()[-1]
        recorder = start(["recorder", "--config", str(first)], tmp_path / "recorder.log")
        replica_a, url_a = serve(first, tmp_path / "a.log")
        replica_b, url_b = serve(second, tmp_path / "b.log")
        try:

            def kill_after(answers: int) -> None:
                if answers == 60:
                    replica_a.send_signal(signal.SIGKILL)

            (answered_a, failed_a), (answered_b, _) = await asyncio.gather(
                load(url_a, key, 300, on_answer=kill_after), load(url_b, key, 100)
            )
            assert replica_a.wait(timeout=30) == -signal.SIGKILL
            assert len(answered_a) >= 60 and failed_a > 0  # killed mid-way, under load
            shutil.rmtree(tmp_path / "a")  # its disk goes with it
            expected = set(answered_a) | set(answered_b)
            events, records = await wait_for_books(database, expected)
        finally:
            stop(replica_b, recorder)
            if replica_a.poll() is None:
                replica_a.kill()
    missing = expected - set(events)
    assert not missing, f"{len(missing)} answered calls have no audit event"
    assert expected <= set(records)
    assert len(events) == len(set(events)) and len(records) == len(set(records))


async def test_the_recorder_killed_and_restarted_under_load_loses_and_duplicates_nothing(
    tmp_path: Path, database: str, redis_url: str
) -> None:
    with MockProviderThread(api_key="sk-up") as mock:
        settings = config(
            tmp_path / "c.yaml",
            database=database,
            redis_url=redis_url,
            upstream=mock.url,
            spool=tmp_path / "s",
        )
        trueport("migrate", config=settings)
        trueport("tenants", "create", "acme", config=settings)
        key = trueport("keys", "create", "--tenant", "acme", config=settings).split()[-1]
        log = tmp_path / "recorder.log"
        recorders = [start(["recorder", "--config", str(settings)], log)]
        replica, url = serve(settings, tmp_path / "serve.log")
        try:

            def kill_and_restart(answers: int) -> None:
                if answers == 150:
                    recorders[0].send_signal(signal.SIGKILL)
                    recorders[0].wait()
                    recorders.append(start(["recorder", "--config", str(settings)], log))

            answered, failed = await load(url, key, 400, on_answer=kill_and_restart)
            assert len(recorders) == 2 and failed == 0  # serving never depended on the recorder
            events, records = await wait_for_books(database, set(answered))
        finally:
            stop(replica, *recorders)
    assert set(answered) <= set(events) and set(answered) <= set(records)
    assert len(events) == len(set(events)) == len(answered)  # one event per call, none twice
    assert len(records) == len(set(records)) == len(answered)
