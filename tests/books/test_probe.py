"""The recorder process's probe: health, readiness from its own checks, metrics behind the admin token."""

from __future__ import annotations

import functools
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.support import free_port

from trueport.books.probe import RecorderProbe
from trueport.settings import load_settings

TOKEN = "probe-admin-token-0123456789"


@pytest.fixture
async def probe() -> AsyncIterator[tuple[RecorderProbe, dict[str, str | None]]]:
    problems: dict[str, str | None] = {"recorder": None, "webhook_intake": None}
    settings = load_settings(admin_token=TOKEN)
    probe = RecorderProbe(settings, {name: functools.partial(problems.get, name) for name in problems})
    await probe.start("127.0.0.1", 0)
    try:
        yield probe, problems
    finally:
        await probe.stop()


async def test_readiness_follows_the_checks(probe: tuple[RecorderProbe, dict[str, str | None]]) -> None:
    server, problems = probe
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {"recorder": "ok", "webhook_intake": "ok"}}
        problems["recorder"] = "behind: the books have not been written for 31 s"
        behind = await client.get("/readyz")
        assert behind.status_code == 503 and behind.json()["checks"]["recorder"].startswith("behind")
        assert behind.headers["cache-control"] == "no-store"


async def test_metrics_need_the_admin_token(probe: tuple[RecorderProbe, dict[str, str | None]]) -> None:
    server, _ = probe
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        refused = await client.get("/metrics")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "trueport_" in metrics.text


async def test_without_an_admin_token_metrics_are_refused_unless_public() -> None:
    for public, status in ((False, 403), (True, 200)):
        server = RecorderProbe(load_settings(metrics={"public": public}), {})
        await server.start("127.0.0.1", 0)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                assert (await client.get("/metrics")).status_code == status
        finally:
            await server.stop()


@pytest.mark.slow
def test_trueport_recorder_serves_its_probe(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "trueport.yaml"
    config.write_text(
        f"database: sqlite:///{tmp_path}/trueport.db\n"
        f"audit: {{spool_dir: '{tmp_path / 'spool'}'}}\n"
        f"admin_token: {TOKEN}\n"
        f"recorder: {{probe_port: {port}}}\n"
    )
    subprocess.run(
        [sys.executable, "-m", "trueport", "migrate", "--config", str(config)], check=True, timeout=120
    )
    with subprocess.Popen(
        [sys.executable, "-m", "trueport", "recorder", "--config", str(config)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as process:
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None and time.monotonic() < deadline
                try:
                    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"recorder": "ok", "webhook_intake": "ok"}
            metrics = httpx.get(
                f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            assert metrics.status_code == 200 and "trueport_" in metrics.text
        finally:
            process.terminate()
            assert process.wait(timeout=60) == 0
