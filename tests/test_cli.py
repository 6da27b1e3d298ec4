"""The CLI contract, run as a user would: real processes, a real config file, the emulator upstream."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support import free_port

from trueport.mockprovider import MockProviderThread

TRUEPORT = [sys.executable, "-m", "trueport"]


def run(*args: str, config: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRUEPORT, *args, "--config", str(config)], capture_output=True, text=True, timeout=120, check=check
    )


@pytest.fixture
def upstream() -> Iterator[str]:
    with MockProviderThread(api_key="sk-up") as mock:
        yield mock.url


@pytest.fixture
def config(tmp_path: Path, upstream: str, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPSTREAM_KEY", "sk-up")
    path = tmp_path / "trueport.yaml"
    path.write_text(f"""
database: {database_url}
providers:
  oa: {{type: openai, base_url: "{upstream}/v1", api_key: "${{UPSTREAM_KEY}}"}}
  an: {{type: anthropic, base_url: "{upstream}", api_key: "${{UPSTREAM_KEY}}"}}
models:
  gpt-4o-mini: [{{provider: oa, model: gpt-4o-mini}}]
  smart: [{{provider: an, model: claude-sonnet-4-5+status=500}}, {{provider: oa, model: gpt-4o}}]
key_refresh_interval_s: 0.5
""")
    if database_url.startswith("postgresql"):
        run("migrate", config=path)
    return path


@pytest.fixture
def server(config: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*TRUEPORT, "serve", "--config", str(config), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("trueport serve did not become healthy")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_tenants_and_keys_commands(config: Path) -> None:
    created = run("tenants", "create", "acme", config=config)
    assert "acme" in created.stdout
    duplicate = run("tenants", "create", "acme", config=config, check=False)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    bad = run("tenants", "create", "Not A Slug", config=config, check=False)
    assert bad.returncode != 0
    key = (
        run(
            "keys",
            "create",
            "--tenant",
            "acme",
            "--name",
            "ci",
            "--models",
            "gpt-4o-mini",
            "--rpm",
            "10",
            "--expires-in",
            "30",
            config=config,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert key.startswith("tp_")
    listing = run("keys", "list", "--tenant", "acme", config=config).stdout
    assert "ci" in listing
    assert key not in listing  # the secret is shown once, never again
    assert key[:9] in listing
    missing = run("keys", "create", "--tenant", "nobody", config=config, check=False)
    assert missing.returncode == 1
    assert "no tenant" in missing.stderr


def test_serve_end_to_end(config: Path, server: str) -> None:
    run("tenants", "create", "acme", config=config)
    key = run("keys", "create", "--tenant", "acme", config=config).stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    body = {"model": "smart", "messages": [{"role": "user", "content": "hi"}]}
    reply = httpx.post(f"{server}/v1/chat/completions", json=body, headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == "Echo: hi"
    assert httpx.get(f"{server}/readyz", timeout=5).json()["status"] == "ready"
    key_id = run("keys", "list", "--tenant", "acme", config=config).stdout.split("\t")[0]
    run("keys", "revoke", key_id, "--tenant", "acme", config=config)
    deadline = time.monotonic() + 5
    while (
        httpx.post(f"{server}/v1/chat/completions", json=body, headers=headers, timeout=30).status_code != 401
    ):
        assert time.monotonic() < deadline, "revoked key still works after 5 s"
        time.sleep(0.2)


def test_serve_refuses_a_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("models:\n  x: [{provider: missing, model: y}]\n")
    result = subprocess.run(
        [*TRUEPORT, "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 1
    assert "unknown provider" in result.stderr


def test_users_create_admin_then_sign_in(config: Path, server: str) -> None:
    created = subprocess.run(
        [
            *TRUEPORT,
            "users",
            "create-admin",
            "Ops@Example.test",
            "--name",
            "Ops",
            "--password-stdin",
            "--config",
            str(config),
        ],
        input="a long admin passphrase\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "ops@example.test" in created.stdout
    assert "passphrase" not in created.stdout + created.stderr
    listing = run("users", "list", config=config).stdout
    email, user_id, name, kind, status = listing.strip().split("\t")
    assert (email, name, kind, status) == ("ops@example.test", "Ops", "admin", "active")
    duplicate = subprocess.run(
        [*TRUEPORT, "users", "create-admin", "ops@example.test", "--password-stdin", "--config", str(config)],
        input="another long passphrase\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert duplicate.returncode == 1 and "exists" in duplicate.stderr
    weak = subprocess.run(
        [*TRUEPORT, "users", "create-admin", "x@example.test", "--password-stdin", "--config", str(config)],
        input="short\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert weak.returncode == 1 and "at least" in weak.stderr
    login = httpx.post(
        f"{server}/api/v1/auth/login",
        json={"email": "ops@example.test", "password": "a long admin passphrase"},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    tenants = httpx.get(
        f"{server}/api/v1/tenants",
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        timeout=30,
    )
    assert tenants.status_code == 200
    assert len(user_id) == 36
