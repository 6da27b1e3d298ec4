"""``trueport audit ...``: public key, export and verify, as a user runs them (the output is a contract)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest
import structlog
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.audit.archive_mutations import events_files, read_lines, write_lines
from tests.audit.helpers import data_event

from trueport import commandline
from trueport.audit import commands
from trueport.audit.config import AuditConfig
from trueport.audit.log import AuditLog
from trueport.audit.signing import (
    generate_private_key_pem,
    key_id,
    load_private_key,
    load_public_keys,
    public_key_pem,
)
from trueport.audit.spool import Spool
from trueport.db.session import database
from trueport.settings import load_settings
from trueport.tenants.service import create_tenant

# The group is registered on `trueport` by the CLI; run on its own, it is the same command.
AUDIT = [sys.executable, "-c", "from trueport.audit.commands import audit; audit(prog_name='trueport audit')"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AUDIT, *args], capture_output=True, text=True, timeout=120, check=False)


async def populate(config: Path, spool: Path) -> None:
    async with database(load_settings(config)) as sessions:
        async with sessions() as session:
            acme = await create_tenant(session, "acme")
            other = await create_tenant(session, "other")
            await session.commit()
        log = AuditLog(sessions, Spool(spool))
        for n in range(30):
            log.append(data_event(acme.id if n % 3 else other.id, n))
        await log.stop()


class Result(Protocol):
    returncode: int
    stdout: str
    output: str  # stdout and stderr


Invoke = Callable[..., Result]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """The commands in this process (faster); logging is global, so it is neither configured nor shown."""
    monkeypatch.setattr(commandline, "configure_logging", lambda *_: None)

    def run_here(*args: str) -> Result:
        result = CliRunner().invoke(commands.audit, list(args))
        result.returncode = result.exit_code  # type: ignore[attr-defined]
        return result  # type: ignore[return-value]

    with structlog.testing.capture_logs():
        yield run_here


@pytest.fixture
def config(tmp_path: Path, sqlite_database_url: str) -> Path:
    path = tmp_path / "trueport.yaml"
    path.write_text(f"database: {sqlite_database_url}\n")
    asyncio.run(populate(path, tmp_path / "spool"))
    return path


def test_export_and_verify_an_archive(config: Path, tmp_path: Path) -> None:
    shown = run("public-key", "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("-----BEGIN PUBLIC KEY-----\n") and shown.stdout.endswith(
        "-----END PUBLIC KEY-----\n"
    )
    key_file = tmp_path / "audit.pub"
    key_file.write_text(shown.stdout)

    out = tmp_path / "archive"
    exported = run("export", "--tenant", "acme", "--out", str(out), "--config", str(config))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == f"exported 20 events in 1 segments to {out}\n"

    verified = run("verify", str(out), "--public-key", str(key_file))
    assert (verified.returncode, verified.stdout) == (0, "OK 20 events\n")

    path = events_files(out)[0]
    lines = read_lines(path)
    lines[4] = lines[4].replace(b'"completion_tokens":20', b'"completion_tokens":2', 1)
    write_lines(path, lines)
    failed = run("verify", str(out), "--public-key", str(key_file))
    assert failed.returncode == 1
    assert failed.stdout.startswith("FAILED segment-000001.events.jsonl.gz line 5 (event ")
    assert "not included in the checkpoint" in failed.stdout


def test_time_windows_and_the_whole_log(config: Path, tmp_path: Path, invoke: Invoke) -> None:
    out = tmp_path / "window"
    since, until = "2026-11-01T12:00:10Z", "2026-11-01T12:00:20+00:00"
    result = invoke(
        "export",
        "--tenant",
        "other",
        "--since",
        since,
        "--until",
        until,
        "--out",
        str(out),
        "--config",
        str(config),
    )
    assert result.stdout == f"exported 3 events in 1 segments to {out}\n"  # n = 12, 15, 18
    everything = invoke("export", "--out", str(tmp_path / "all"), "--config", str(config))
    assert everything.stdout == f"exported 30 events in 1 segments to {tmp_path / 'all'}\n"
    signed = invoke("checkpoint", "--config", str(config))
    size, root, key = signed.stdout.split()[1:]
    assert (size, len(root), len(key)) == ("30", 64, 16)


def test_errors_are_clean(config: Path, tmp_path: Path, invoke: Invoke) -> None:
    unknown = invoke("export", "--tenant", "nope", "--out", str(tmp_path / "x"), "--config", str(config))
    assert unknown.returncode == 1 and "Error: no tenant 'nope'" in unknown.output
    bad_time = invoke("export", "--since", "yesterday", "--out", str(tmp_path / "y"), "--config", str(config))
    assert bad_time.returncode == 2 and "not an ISO 8601 time" in bad_time.output

    out = tmp_path / "archive"
    assert invoke("export", "--out", str(out), "--config", str(config)).returncode == 0
    stranger = tmp_path / "stranger.pub"
    stranger.write_text(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    wrong_key = invoke("verify", str(out), "--public-key", str(stranger))
    assert wrong_key.returncode == 1 and wrong_key.stdout.startswith("FAILED manifest.json: signed by key")
    not_a_key = tmp_path / "nothing.pem"
    not_a_key.write_text("hello\n")
    unreadable = invoke("verify", str(out), "--public-key", str(not_a_key))
    assert unreadable.returncode == 1 and "no PEM public key found" in unreadable.output


def test_public_key_comes_from_the_configured_key(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Invoke
) -> None:
    key_path = tmp_path / "signing.pem"
    key_path.write_bytes(generate_private_key_pem())
    monkeypatch.setattr(commands, "audit_config", lambda settings: AuditConfig(signing_key_file=key_path))
    shown = invoke("public-key", "--config", str(config))
    expected = load_private_key(key_path.read_bytes(), str(key_path)).public_key()
    assert shown.stdout == public_key_pem(expected)
    assert list(load_public_keys(shown.stdout.encode())) == [key_id(expected)]


def test_archive_writes_what_was_sealed_since_the_last_run(
    config: Path, tmp_path: Path, invoke: Invoke
) -> None:
    archive_dir = tmp_path / "archive-root"
    config.write_text(config.read_text() + f"audit: {{archive_dir: '{archive_dir}'}}\n")
    assert invoke("checkpoint", "--config", str(config)).returncode == 0  # seals the 30 events
    first = invoke("archive", "--config", str(config))
    assert first.returncode == 0, first.output
    assert first.stdout.startswith("archived 30 events in 1 segments to ")
    again = invoke("archive", "--config", str(config))
    assert (again.returncode, again.stdout) == (0, "nothing new to archive\n")
    [written] = [path for path in archive_dir.iterdir() if path.is_dir()]
    key_file = tmp_path / "audit.pub"
    key_file.write_text(invoke("public-key", "--config", str(config)).stdout)
    verified = invoke("verify", str(written), "--public-key", str(key_file))
    assert (verified.returncode, verified.stdout) == (0, "OK 30 events\n")
