"""Several `trueport serve` processes sharing one database and one Redis, as replicas behind a balancer."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tests.support import free_port


def trueport(*args: str, config: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "trueport", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


@dataclass
class Replicas:
    config: Path
    urls: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def start(self, count: int, workdir: Path) -> None:
        for index in range(count):
            port = free_port()
            log = workdir / f"replica-{index}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "trueport",
                        "serve",
                        "--config",
                        str(self.config),
                        "--port",
                        str(port),
                    ],
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            self.processes.append(process)
            self.logs.append(log)
            self.urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 90
        for url, process, log in zip(self.urls, self.processes, self.logs, strict=True):
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:  # its books kept too
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def write_config(path: Path, *, database_url: str, redis_url: str, upstream: str, extra: str = "") -> Path:
    path.write_text(f"""
database: {database_url}
redis: {redis_url}
secret_key: replica-test-secret-that-is-32-bytes-or-more
key_refresh_interval_s: 0.5
guard: {{enabled: false}}
{"" if "audit:" in extra else f"audit: {{spool_dir: '{path.parent / 'audit-spool'}'}}"}
providers:
  oa: {{type: openai, base_url: "{upstream}/v1", api_key: "sk-up"}}
  an: {{type: anthropic, base_url: "{upstream}", api_key: "sk-up"}}
models:
  gpt-4o-mini: [{{provider: oa, model: gpt-4o-mini}}]
{extra}
""")
    return path
