"""What every command shares, run as a user would (real processes): results alone on stdout, logs on
stderr; a signal ends a long-running command with exit status 0; a database that lacks migrations is
one sentence saying what to run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from tests.support import free_port
from tests.support.postgres import PostgresServer

from trueport.db.engine import create_engine
from trueport.db.migrate import alembic_config, head_revision
from trueport.settings import async_database_url

TRUEPORT = [sys.executable, "-m", "trueport"]


def run(*args: str, config: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRUEPORT, *args, "--config", str(config)], capture_output=True, text=True, timeout=120, check=check
    )


@pytest.fixture
def noisy_config(tmp_path: Path) -> Path:
    """SQLite, and a Redis that is not there: commands that announce a change log a warning. No guard:
    its models take seconds to load in each process."""
    path = tmp_path / "trueport.yaml"
    path.write_text(f"""
database: sqlite:///{tmp_path}/trueport.db
redis: redis://127.0.0.1:{free_port()}
redis_timeout_ms: 50
audit: {{spool_dir: '{tmp_path / "spool"}'}}
guard: {{enabled: false}}
""")
    return path


def test_a_key_is_all_that_a_command_substitution_captures(noisy_config: Path) -> None:
    run("tenants", "create", "acme", config=noisy_config)
    script = f'key=$({shlex.join([*TRUEPORT, "keys", "create", "--tenant", "acme", "--config", str(noisy_config)])}) && printf "%s" "$key"'
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.startswith("tp_") and result.stdout.isprintable() and " " not in result.stdout
    assert '"event": "state_redis_unreachable"' in result.stderr  # the log went to stderr, as JSON
    assert "created key" in result.stderr


def test_every_result_command_keeps_logs_off_stdout(noisy_config: Path) -> None:
    run("tenants", "create", "acme", config=noisy_config)
    run("keys", "create", "--tenant", "acme", config=noisy_config)
    key_id = run("keys", "list", "--tenant", "acme", config=noisy_config).stdout.split("\t")[0]
    results = [
        run("migrate", config=noisy_config),
        run("tenants", "create", "beta", config=noisy_config),
        run("tenants", "list", config=noisy_config),
        run("keys", "list", "--tenant", "acme", config=noisy_config),
        run("keys", "revoke", key_id, "--tenant", "acme", config=noisy_config),
        run("users", "list", config=noisy_config),
        run("audit", "public-key", config=noisy_config),
        run("audit", "checkpoint", config=noisy_config),
        run("master-key", "rewrap", config=noisy_config),
    ]
    for result in results:
        assert '"event"' not in result.stdout, result.args
    assert sum('"event"' in result.stderr for result in results) >= 3  # the ones that announce a change


def _started(process: subprocess.Popen[str], stdout: Path, marker: str, limit_s: float = 90) -> str:
    """The process's stdout once it holds ``marker``."""
    deadline = time.monotonic() + limit_s
    while marker not in (seen := stdout.read_text()):
        assert process.poll() is None, seen
        assert time.monotonic() < deadline, seen
        time.sleep(0.1)
    return seen


def _stopped_cleanly(process: subprocess.Popen[str], signum: int, stderr: Path) -> None:
    process.send_signal(signum)
    try:
        status = process.wait(timeout=60)
    finally:
        process.kill()  # if it did not stop: the test fails without leaving it behind
    assert status == 0, stderr.read_text()
    text = stderr.read_text()
    assert "Traceback" not in text and "Aborted" not in text, text


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_prints_its_url_and_a_signal_ends_it_with_status_0(
    signum: int, noisy_config: Path, tmp_path: Path
) -> None:
    port = free_port()
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    with (
        stdout.open("w") as output,
        stderr.open("w") as errors,
        subprocess.Popen(
            [*TRUEPORT, "serve", "--config", str(noisy_config), "--port", str(port)],
            stdout=output,
            stderr=errors,
            text=True,
        ) as process,
    ):
        url = f"http://127.0.0.1:{port}"
        line = _started(process, stdout, "\n")
        assert (
            line
            == f"TruePort listening on {url} (OpenAI-compatible API: {url}/v1, control plane: {url}/api/v1, "
            f"console: {url}/console/)\n"
        )
        _wait_for(lambda: httpx.get(f"{url}/readyz", timeout=5).status_code == 200, process)  # recorder too
        _stopped_cleanly(process, signum, stderr)
        assert '"event": "recorder_stopped"' in stderr.read_text()  # serve stopped its recorder first


@pytest.mark.slow
def test_ctrl_c_as_soon_as_serve_listens_with_workers(noisy_config: Path, tmp_path: Path) -> None:
    """A terminal's Ctrl+C reaches the whole process group: workers and the recorder still starting
    must not die of it with a traceback."""
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    with (
        stdout.open("w") as output,
        stderr.open("w") as errors,
        subprocess.Popen(
            [*TRUEPORT, "serve", "--config", str(noisy_config), "--port", str(free_port()), "--workers", "2"],
            stdout=output,
            stderr=errors,
            text=True,
            start_new_session=True,  # its own process group, as a shell's foreground job
        ) as process,
    ):
        _started(process, stdout, "TruePort listening on")
        os.killpg(process.pid, signal.SIGINT)
        try:
            status = process.wait(timeout=120)  # workers finish starting, then stop; the recorder too
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        text = stderr.read_text()
        assert status == 0, text
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "marker"),
    [
        pytest.param(["demo", "--port", "{port}"], "Press Ctrl+C", id="demo"),
        pytest.param(["mock-provider", "--port", "{port}"], "", id="mock-provider"),
        pytest.param(["recorder", "--config", "{config}"], "", id="recorder"),
    ],
)
def test_ctrl_c_ends_a_long_running_command_with_status_0(
    args: list[str], marker: str, noisy_config: Path, tmp_path: Path
) -> None:
    port = free_port()
    argv = [arg.format(port=port, config=noisy_config) for arg in args]
    stdout, stderr = tmp_path / "command.out", tmp_path / "command.err"
    with (
        stdout.open("w") as output,
        stderr.open("w") as errors,
        subprocess.Popen(
            [*TRUEPORT, *argv], cwd=tmp_path, stdout=output, stderr=errors, text=True
        ) as process,
    ):
        if marker:
            _started(process, stdout, marker)
        elif argv[0] == "mock-provider":
            _wait_for_port(port, process)
        else:
            _wait_for(lambda: "recorder_started" in stderr.read_text(), process)
        _stopped_cleanly(process, signal.SIGINT, stderr)


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    def open_() -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
        except httpx.TransportError:
            return False
        return True

    _wait_for(open_, process)


def _wait_for(condition: object, process: subprocess.Popen[str], limit_s: float = 60) -> None:
    assert callable(condition)
    deadline = time.monotonic() + limit_s
    while not condition():
        assert process.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_revision(head_revision())
    assert head is not None and isinstance(head.down_revision, str)
    return head.down_revision


async def _set_revision(url: str, revision: str) -> None:
    from sqlalchemy import text

    engine = create_engine(async_database_url(url))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    finally:
        await engine.dispose()


@pytest.mark.postgres
def test_a_database_that_lacks_migrations_is_one_sentence(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    name = f"unmigrated_{os.getpid()}"
    url = postgres_server.create_database(name)
    try:
        config = tmp_path / "trueport.yaml"
        config.write_text(f"database: {url}\naudit: {{spool_dir: '{tmp_path / 'spool'}'}}\n")
        where = f"the database at postgresql+asyncpg://postgres@127.0.0.1:{postgres_server.port}/{name}"

        def sentence(*args: str) -> str:
            result = run(*args, config=config, check=False)
            assert result.returncode == 1 and result.stdout == "", result.stderr
            assert len(result.stderr.splitlines()) == 1, result.stderr
            return result.stderr

        empty = f"Error: {where} has no TruePort schema, this TruePort needs revision {head_revision()}: run `trueport migrate`\n"
        assert sentence("tenants", "list") == empty
        assert sentence("serve", "--port", str(free_port())) == empty
        assert sentence("users", "list") == empty
        assert sentence("audit", "public-key") == empty
        assert sentence("recorder") == empty

        previous = _previous_revision()
        command.upgrade(alembic_config(async_database_url(url)), previous)
        behind = f"Error: {where} is at revision {previous}, this TruePort needs {head_revision()}: run `trueport migrate`\n"
        assert sentence("keys", "list", "--tenant", "acme") == behind
        assert sentence("serve", "--port", str(free_port())) == behind

        run("migrate", config=config)
        assert run("tenants", "list", config=config).returncode == 0

        asyncio.run(_set_revision(url, "9999"))
        assert "is at revision 9999, which this TruePort does not know" in sentence("tenants", "list")
    finally:
        postgres_server.drop_database(name)


@pytest.mark.parametrize("args", [["tenants", "list"], ["migrate"]], ids=["tenants-list", "migrate"])
def test_an_unreachable_database_is_one_sentence(args: list[str], tmp_path: Path) -> None:
    config = tmp_path / "trueport.yaml"
    config.write_text(f"database: postgresql://postgres@127.0.0.1:{free_port()}/nowhere\n")
    result = run(*args, config=config, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: cannot reach the database at postgresql+asyncpg://postgres@127.0.0.1:"
    )
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_an_embedded_database_from_a_newer_version_is_one_sentence(tmp_path: Path) -> None:
    config = tmp_path / "trueport.yaml"
    config.write_text(f"database: sqlite:///{tmp_path}/trueport.db\n")
    run("migrate", config=config)
    with contextlib.closing(sqlite3.connect(tmp_path / "trueport.db")) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
        connection.commit()
    for args in (["tenants", "list"], ["serve", "--port", str(free_port())]):
        result = run(*args, config=config, check=False)
        assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
        assert "Can't locate revision identified by '9999'" in result.stderr
        assert "migrations only go forward" in result.stderr
