"""`trueport demo` starts with nothing configured, and the snippets it prints work as printed."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support import free_port


def test_demo_prints_working_snippets(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "trueport", "demo", "--port", str(port)],
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl+C" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        text = log.read_text()
        assert (tmp_path / "trueport-demo.db").exists()  # SQLite in the working directory
        curl = re.search(r"^  (curl .*?)\n\n", text, re.S | re.M)
        assert curl is not None
        if shutil.which("curl"):
            answer = subprocess.run(
                curl.group(1), shell=True, capture_output=True, text=True, timeout=30, check=True
            )
            assert '"content":"Echo: Hello, TruePort"' in answer.stdout
        snippet = re.search(r"python3 -c '\n(.*?)'\n", text, re.S)
        assert snippet is not None
        answer = subprocess.run(
            [sys.executable, "-c", snippet.group(1)], capture_output=True, text=True, timeout=60, check=True
        )
        assert answer.stdout.strip() == "Echo: Hello"
        # The console's sign-ins it printed work.
        assert f"http://127.0.0.1:{port}/console/" in text
        signins = dict(
            re.findall(r"^  (?:platform admin|tenant owner) *: (\S+)  password (\S+)$", text, re.M)
        )
        assert set(signins) == {"admin@example.com", "owner@example.com"}
        for email, password in signins.items():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/auth/login",
                data=json.dumps({"email": email, "password": password}).encode(),
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
                assert json.loads(response.read())["access_token"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def _post(url: str, body: dict[str, object], token: str | None = None) -> tuple[int, dict[str, object]]:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, object] = json.loads(response.read())
        return response.status, answer


def test_demo_prints_the_links_of_the_mail_it_keeps(tmp_path: Path) -> None:
    """No SMTP server: an invitation goes to the outbox, and the demo prints its link, which works."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "demo.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "trueport", "demo", "--port", str(port)],
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl+C" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        text = log.read_text()
        assert "kept in the outbox" in text
        password = re.search(r"^  platform admin *: admin@example\.com  password (\S+)$", text, re.M)
        assert password is not None
        _, pair = _post(
            f"{base}/api/v1/auth/login", {"email": "admin@example.com", "password": password.group(1)}
        )
        status, created = _post(
            f"{base}/api/v1/tenants",
            {"slug": "globex", "name": "Globex", "owner_email": "gina@globex.test"},
            str(pair["access_token"]),
        )
        assert status == 201 and created["owner_invitation"] is not None
        link = None
        while link is None:
            assert time.monotonic() < deadline + 30, log.read_text()
            link = re.search(
                rf"^mail to gina@globex\.test: .*\n  ({re.escape(base)}/accept-invitation\?token=(\S+))$",
                log.read_text(),
                re.M,
            )
            time.sleep(0.2)
        status, accepted = _post(
            f"{base}/api/v1/auth/invitations/accept",
            {"token": link.group(2), "name": "Gina", "password": "gina's long passphrase"},
        )
        assert status == 200 and accepted["tenant_slug"] == "globex"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_demo_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "trueport", "demo", "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert "busy" in result.stderr
