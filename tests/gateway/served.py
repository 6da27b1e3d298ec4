"""One `trueport serve` process (a real server in its own process) on SQLite, for end-to-end tests that
measure the process itself (its memory, its event loop) or need its command line."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.replicas.harness import trueport
from tests.support import free_port


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    config: Path

    def peak_rss_mib(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")

    def new_key(self, tenant: str = "acme", *options: str) -> str:
        return trueport("keys", "create", "--tenant", tenant, *options, config=self.config).split()[-1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve(config: Path, workdir: Path, *args: str, tenants: tuple[str, ...] = ("acme",)) -> Served:
    """Create ``tenants`` (which migrates the database), start `trueport serve` and wait for /readyz (its recorder running too)."""
    for tenant in tenants:
        trueport("tenants", "create", tenant, config=config)
    port = free_port()
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "trueport", "serve", "--config", str(config), "--port", str(port), *args],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    return Served(url, process, log, config)
