"""Breaker state for people: the status document and ``trueport providers status``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from redis.asyncio import Redis

from trueport.limits.breaker import BreakerPolicy, BreakerRegistry
from trueport.limits.breaker_redis import RedisBreakerStore
from trueport.limits.breaker_store import MemoryBreakerStore
from trueport.limits.status import providers, providers_status, render_table, target_labels
from trueport.settings import ResilienceConfig, load_settings

CONFIG = """
providers:
  oa: {type: openai, base_url: "http://127.0.0.1:9/v1"}
  an: {type: anthropic, base_url: "http://127.0.0.1:9"}
models:
  chat:
    - {provider: oa, model: gpt-4o}
    - {provider: an, model: claude}
  other:
    targets: [{provider: oa, model: gpt-4o}]
    fallback: {provider: an, model: haiku}
  fixed:
    targets: [{provider: oa, model: mini}]
    fallback: {message: sorry}
resilience:
  breaker_consecutive_failures: 2
"""


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "trueport.yaml"
    path.write_text(CONFIG + extra)
    return path


async def open_breaker(registry: BreakerRegistry, label: str) -> None:
    for _ in range(2):
        permit = await registry.allow(label)
        assert permit is not None
        await registry.record(permit, ok=False, duration_s=0.01)


def test_target_labels(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path))
    assert target_labels(settings) == ["oa/gpt-4o", "an/claude", "an/haiku", "oa/mini"]


async def test_the_status_document() -> None:
    registry = BreakerRegistry(
        MemoryBreakerStore(), BreakerPolicy(consecutive_failures=2), labels=["oa/gpt-4o", "an/claude"]
    )
    await open_breaker(registry, "oa/gpt-4o")
    document = await providers_status(registry)
    assert document["backend"] == "memory"
    by_target = {entry["target"]: entry for entry in document["breakers"]}
    assert set(by_target) == {"oa/gpt-4o", "an/claude"}
    opened = by_target["oa/gpt-4o"]
    assert opened["state"] == "open"
    assert opened["openings"] == 1
    assert opened["opened_until"] > 0
    assert by_target["an/claude"] == {
        "target": "an/claude",
        "state": "closed",
        "calls": 0,
        "failure_rate": 0.0,
        "slow_call_rate": 0.0,
        "consecutive_failures": 0,
        "openings": 0,
        "opened_until": None,
        "probes_in_flight": 0,
    }
    table = render_table(document)
    assert table.splitlines()[0] == "backend: memory"
    assert "oa/gpt-4o" in table and "open" in table


def test_cli_reads_breakers_from_redis(tmp_path: Path, redis_url: str) -> None:
    async def populate() -> None:
        client = Redis.from_url(redis_url)
        try:
            registry = BreakerRegistry(
                RedisBreakerStore(client), ResilienceConfig(breaker_consecutive_failures=2)
            )
            await open_breaker(registry, "an/claude")
        finally:
            await client.aclose()

    asyncio.run(populate())
    config = write_config(tmp_path, f"redis: {redis_url}\n")
    result = CliRunner().invoke(providers, ["status", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.output)
    assert document["backend"] == "redis"
    states = {entry["target"]: entry["state"] for entry in document["breakers"]}
    assert states == {"oa/gpt-4o": "closed", "an/claude": "open", "an/haiku": "closed", "oa/mini": "closed"}

    result = CliRunner().invoke(providers, ["status", "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "backend: redis"
    assert lines[1].split()[:3] == ["TARGET", "STATE", "CALLS"]
    assert lines[3].split()[:2] == ["an/claude", "open"]


def test_cli_in_embedded_mode_says_where_the_state_is(tmp_path: Path) -> None:
    result = CliRunner().invoke(providers, ["status", "--config", str(write_config(tmp_path))])
    assert result.exit_code == 1
    assert "embedded mode breaker state lives only inside the serving process" in result.output
    assert "--url" in result.output


def test_cli_unreachable_redis_is_a_clear_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "redis: redis://127.0.0.1:9/0\n")
    result = CliRunner().invoke(providers, ["status", "--config", str(config)])
    assert result.exit_code == 1
    assert "cannot read breaker state from Redis" in result.output


@pytest.fixture
def status_endpoint() -> Iterator[tuple[str, list[str]]]:
    document = {"backend": "memory", "breakers": [{"target": "oa/gpt-4o", "state": "half_open", "calls": 0}]}
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("authorization", ""))
            body = orjson.dumps(document)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/admin/providers/status", seen
    server.shutdown()
    server.server_close()
    thread.join()


def test_cli_asks_a_running_gateway(status_endpoint: tuple[str, list[str]]) -> None:
    url, seen = status_endpoint
    result = CliRunner().invoke(providers, ["status", "--url", url, "--token", "admin-token"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2].split()[:2] == ["oa/gpt-4o", "half_open"]
    assert seen == ["Bearer admin-token"]
    result = CliRunner().invoke(providers, ["status", "--url", url, "--json"])
    assert orjson.loads(result.output)["breakers"][0]["state"] == "half_open"


def test_cli_url_unreachable() -> None:
    result = CliRunner().invoke(providers, ["status", "--url", "http://127.0.0.1:9/status"])
    assert result.exit_code == 1
    assert "cannot reach" in result.output
