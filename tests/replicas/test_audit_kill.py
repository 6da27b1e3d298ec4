"""`kill -9` under load: every request that got a 2xx has its audit event after a restart, and the log verifies.

A 2xx answer's last bytes go out only once its event is durable (committed, or fsync'd in the local
spool); a process killed mid-load may leave spooled events behind, which the restarted process adopts
and replays. The check is end to end: request ids from the answers, events from the database, the
archive through `trueport audit export` and `trueport audit verify`.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
from tests.replicas.harness import Replicas, trueport, write_config

from trueport.jsonutil import loads
from trueport.mockprovider import MockProviderThread

pytestmark = pytest.mark.slow

_REQUESTS = 200
_KILL_AFTER = 60  # 2xx answers before the kill


async def _load(url: str, key: str, process: subprocess.Popen[bytes]) -> tuple[set[str], int]:
    """Send ``_REQUESTS`` chat completions, 20 at a time; SIGKILL the server after ``_KILL_AFTER`` 2xx."""
    answered: set[str] = set()
    failed = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(_REQUESTS):
        queue.put_nowait(number)
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "audit me"}]}

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal failed
        while not queue.empty():
            queue.get_nowait()
            try:
                response = await http.post(
                    f"{url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
                )
            except httpx.TransportError:
                failed += 1
                continue
            if 200 <= response.status_code < 300:
                answered.add(response.headers["x-request-id"])
                if len(answered) == _KILL_AFTER:
                    process.send_signal(signal.SIGKILL)

    async with httpx.AsyncClient(timeout=30) as http:
        await asyncio.gather(*(worker(http) for _ in range(20)))
    return answered, failed


async def test_every_2xx_has_its_event_after_kill_9(tmp_path: Path, redis_url: str) -> None:
    with MockProviderThread(api_key="sk-up") as mock:
        database = tmp_path / "shared.db"
        config = write_config(
            tmp_path / "trueport.yaml",
            database_url=f"sqlite:///{database}",
            redis_url=redis_url,
            upstream=mock.url,
            extra=f"audit: {{spool_dir: '{tmp_path / 'spool'}', checkpoint_interval_s: 0.5}}\n",
        )
        trueport("migrate", config=config)
        trueport("tenants", "create", "acme", config=config)
        key = trueport("keys", "create", "--tenant", "acme", config=config).split()[-1]
        group = Replicas(config)
        group.start(1, tmp_path)
        try:
            answered, failed = await _load(group.urls[0], key, group.processes[0])
            assert group.processes[0].wait(timeout=30) == -signal.SIGKILL
            assert len(answered) >= _KILL_AFTER and failed > 0  # killed mid-way, under load
        finally:
            group.stop()

        restarted = Replicas(config)
        restarted.start(1, tmp_path)  # adopts and replays what the killed process spooled
        restarted.stop()  # a clean stop writes what is queued

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT kind, body FROM audit_events").fetchall()
    request_ids = Counter(loads(body)["request_id"] for kind, body in rows if kind == "data_plane")
    assert answered <= set(request_ids), f"{len(answered - set(request_ids))} answered calls have no event"
    assert max(request_ids.values()) == 1  # none duplicated

    public_key = tmp_path / "audit.pub"
    public_key.write_text(trueport("audit", "public-key", config=config))
    trueport("audit", "export", "--tenant", "acme", "--out", str(tmp_path / "archive"), config=config)
    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "trueport",
            "audit",
            "verify",
            str(tmp_path / "archive"),
            "--public-key",
            str(public_key),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.split()[:2] == ["OK", str(sum(request_ids.values()))]
