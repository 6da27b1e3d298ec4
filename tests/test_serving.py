"""`trueport serve` bounds how long a request may take to arrive, and trusts X-Forwarded-For only
from the proxies it is told about."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from tests.gateway.served import Served, serve

from trueport.serving import server_options
from trueport.settings import ServerConfig

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("serving")
    config = workdir / "trueport.yaml"
    config.write_text(f"""
database: sqlite:///{workdir}/gateway.db
secret_key: serving-test-secret-that-is-32-bytes-or-more
guard: {{enabled: false}}
audit: {{spool_dir: '{workdir / "audit-spool"}'}}
server: {{header_timeout_s: 1, body_timeout_s: 1}}
""")
    server = serve(config, workdir)
    try:
        yield server
    finally:
        server.stop()


def _held_for(url: str, data: bytes, limit_s: float = 6.0) -> tuple[float, bytes]:
    """Send ``data`` and wait: (seconds until the server closed the connection, what it answered)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(limit_s)
        started = time.monotonic()
        sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except TimeoutError:
            pytest.fail(f"the connection was still open after {limit_s}s")
        return time.monotonic() - started, answer


def test_half_sent_headers_are_cut_off(served: Served) -> None:
    held, answer = _held_for(
        served.url, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: app"
    )
    assert held < 3
    assert answer.startswith(b"HTTP/1.1 408")


def test_an_idle_new_connection_is_cut_off(served: Served) -> None:
    held, _answer = _held_for(served.url, b"")
    assert held < 3


def test_a_half_sent_body_is_cut_off(served: Served) -> None:
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    held, _answer = _held_for(served.url, head + b"Content-Length: 1000\r\n\r\n" + b'{"model": "')
    assert held < 3


def test_a_complete_request_on_a_kept_alive_connection_still_works(served: Served) -> None:
    with httpx.Client(base_url=served.url) as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(0.5)
        assert client.get("/healthz").status_code == 200


async def _client_seen(options: dict[str, Any], forwarded_for: str) -> str:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = str(scope["client"][0]).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", **options))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"http://127.0.0.1:{port}/", headers={"X-Forwarded-For": forwarded_for}
            )
        return response.text
    finally:
        server.should_exit = True
        await task


async def test_x_forwarded_for_is_not_believed_by_default() -> None:
    assert await _client_seen({}, "203.0.113.9") == "203.0.113.9"  # uvicorn's own default believes 127.0.0.1
    assert await _client_seen(server_options(ServerConfig(), None), "203.0.113.9") == "127.0.0.1"


async def test_x_forwarded_for_is_believed_from_an_allowed_proxy() -> None:
    options = server_options(ServerConfig(), "127.0.0.1")
    assert await _client_seen(options, "203.0.113.9") == "203.0.113.9"
    configured = server_options(ServerConfig(forwarded_allow_ips="127.0.0.1"), None)
    assert await _client_seen(configured, "203.0.113.9") == "203.0.113.9"


def test_serve_offers_the_option() -> None:
    from click.testing import CliRunner

    from trueport.cli import main

    assert "--forwarded-allow-ips" in CliRunner().invoke(main, ["serve", "--help"]).output


@pytest.fixture
def upstream() -> Iterator[str]:
    from trueport.mockprovider import MockProviderThread

    with MockProviderThread(api_key="sk-up") as mock:
        yield mock.url


def _count(database: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(count)


def test_sigterm_lets_a_streamed_answer_finish_then_writes_its_books(tmp_path: Path, upstream: str) -> None:
    database = tmp_path / "gateway.db"
    config = tmp_path / "trueport.yaml"
    config.write_text(f"""
database: sqlite:///{database}
secret_key: serving-test-secret-that-is-32-bytes-or-more
guard: {{enabled: false}}
audit: {{spool_dir: '{tmp_path / "audit-spool"}'}}
providers:
  oa: {{type: openai, base_url: "{upstream}/v1", api_key: sk-up}}
models:
  slow: [{{provider: oa, model: "gpt-4o-mini+slowstream=250"}}]
server: {{shutdown_grace_s: 30}}
""")
    server = serve(config, tmp_path)
    try:
        key = server.new_key()
        body = {
            "model": "slow",
            "stream": True,
            "messages": [{"role": "user", "content": "one two three four five six seven eight"}],
        }
        lines: list[str] = []
        with httpx.stream(
            "POST",
            f"{server.url}/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line and not lines:  # the first event is out: the answer is in flight
                    server.process.send_signal(signal.SIGTERM)
                    time.sleep(0.5)
                    with pytest.raises(httpx.TransportError):  # no new calls once draining
                        httpx.get(f"{server.url}/healthz", timeout=2)
                if line:
                    lines.append(line)
        assert lines[-1] == "data: [DONE]", lines
        assert len(lines) >= 5  # the stream went on after the signal, to its end
        assert server.process.wait(timeout=60) == 0, server.log.read_text()
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
    assert _count(database, "request_records") == 1
    assert _count(database, "audit_events") >= 1
