"""What the serving process's own code costs per request: the ASGI app called directly, no HTTP server.

    uv run python bench/serving_path.py                     # 6,000 requests, 32 concurrent clients
    uv run python bench/serving_path.py --requests 20000 --runs 3
    uv run python bench/serving_path.py --profile           # a cProfile listing of the measured part

The default config (guard off unless ``--guard``, SQLite, the books handed to an external recorder so none runs here), one
tenant and one key made with the ``trueport`` CLI in a temporary directory, and a fast local upstream
(``bench/upstream.py``) in its own process on a free port. The app is built with ``create_app`` and
called with ASGI messages by ``--clients`` fake clients, each sending its requests one after another
(a small non-streamed ``POST /v1/chat/completions``) on uvloop, as ``trueport serve`` runs. After a warm-up, the process's CPU time (its
threads included: the spool's fsync, aiosqlite) over the measured requests is printed as CPU ms per
request. The driver is pinned to ``--cpu`` and the upstream to ``--upstream-cpu`` when there are two.
Every answer must be a 200; the run fails otherwise.

``--bare`` measures the bare pass-through of ``bench/run.py`` (``bench/passthrough.py``) the same way:
the floor for a Python proxy on aiohttp. This is the data-plane path without the HTTP server's parsing: compare runs of this script before and
after a change (the machine's noise matters: take the median of several runs).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make src/ importable when not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import uvloop
import yaml

from trueport.app import create_app
from trueport.settings import load_settings

BENCH_DIR = Path(__file__).resolve().parent
MODEL = "bench-model"
BODY = (  # the same system prompt every time, a user text of its own (visitor number) as in real traffic
    b'{"model":"bench-model","messages":[{"role":"system","content":"You are a helpful assistant."},'
    b'{"role":"user","content":"Say hello to visitor %08d."}],"max_tokens":16}'
)
_visitors = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pin(cpu: int | None) -> list[str]:
    """``taskset`` prefix for a child pinned to ``cpu`` (nothing if not pinned or not available)."""
    if cpu is None or cpu not in os.sched_getaffinity(0):
        return []
    return ["taskset", "-c", str(cpu)]


def start_upstream(port: int, cpu: int | None, log_path: Path) -> subprocess.Popen[bytes]:
    argv = [*pin(cpu), sys.executable, str(BENCH_DIR / "upstream.py"), "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the upstream exited ({process.returncode}): see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the upstream did not come up within 30 s")


def cli(args: list[str], config: Path) -> str:
    trueport = Path(sys.executable).parent / "trueport"
    completed = subprocess.run(
        [str(trueport), *args, "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=config.parent,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(
            f"`trueport {' '.join(args)}` failed: {(completed.stderr or completed.stdout)[-600:]}"
        )
    return completed.stdout


def prepare(home: Path, upstream_port: int, guard: bool = False) -> tuple[Path, str]:
    """The config file and a key for it (tenant ``bench``, no practical RPM limit); ``guard``: the
    default guard policy on (as ``trueport-guard`` in ``bench/run.py``)."""
    config = {
        "database": f"sqlite:///{home / 'bench.db'}",
        "audit": {"spool_dir": str(home / "spool")},
        "recorder": {"run": "external"},  # the books are another process's CPU
        "providers": {
            "up": {"type": "openai", "base_url": f"http://127.0.0.1:{upstream_port}/v1", "api_key": "k"}
        },
        "models": {MODEL: [{"provider": "up", "model": MODEL}]},
        "guard": {"enabled": guard},
    }
    path = home / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    cli(["tenants", "create", "bench"], path)
    output = cli(["keys", "create", "--tenant", "bench", "--rpm", "100000000"], path)
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        raise SystemExit("`trueport keys create` printed no key")
    return path, lines[-1]


def scope_for(key: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"authorization", b"Bearer " + key.encode()),
            (b"content-length", str(len(BODY % 0)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }


async def drive(app: Any, key: str, clients: int, per_client: int, statuses: Counter[int]) -> None:
    base = scope_for(key)

    async def one() -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                body = BODY % (next(_visitors) % 100_000_000)
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # no disconnect while the call runs
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] += 1

        await app(dict(base), receive, send)

    async def client() -> None:
        for _ in range(per_client):
            await one()

    await asyncio.gather(*(client() for _ in range(clients)))


class Lifespan:
    """Start and stop any ASGI app through its lifespan protocol, as uvicorn does."""

    def __init__(self, app: Any):
        self._app = app
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.create_task(self._app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        answer = await self._outbox.get()
        if answer["type"] != "lifespan.startup.complete":
            raise SystemExit(f"the app did not start: {answer}")

    async def stop(self) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        if self._task is not None:
            await self._task


def build_app(config: Path, upstream_port: int, bare: bool) -> Any:
    if bare:
        sys.path.insert(0, str(BENCH_DIR))
        from passthrough import create_app as create_bare_app

        return create_bare_app(f"http://127.0.0.1:{upstream_port}/v1", "k")
    return create_app(load_settings(str(config)))


async def measure(app: Any, key: str, args: argparse.Namespace) -> list[float]:
    lifespan = Lifespan(app)
    await lifespan.start()
    results: list[float] = []
    try:
        warm: Counter[int] = Counter()
        await drive(app, key, args.clients, max(1, args.warmup // args.clients), warm)
        for run in range(args.runs):
            statuses: Counter[int] = Counter()
            per_client = max(1, args.requests // args.clients)
            profile = cProfile.Profile() if args.profile else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profile is not None:
                profile.enable()
            await drive(app, key, args.clients, per_client, statuses)
            if profile is not None:
                profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            count = per_client * args.clients
            if set(statuses) != {200} or warm.keys() - {200}:
                raise SystemExit(f"not every answer was a 200: {dict(warm + statuses)}")
            ms = cpu / count * 1000
            results.append(ms)
            print(f"run {run + 1}: {count} requests, CPU ms/req {ms:.3f}, wall {wall:.2f} s", flush=True)
            if profile is not None:
                stats = pstats.Stats(profile, stream=sys.stdout)
                stats.sort_stats(args.sort).print_stats(args.lines)
    finally:
        await lifespan.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=6000, help="measured requests per run")
    parser.add_argument("--warmup", type=int, default=1600, help="requests before measuring")
    parser.add_argument("--clients", type=int, default=32, help="concurrent fake clients")
    parser.add_argument("--runs", type=int, default=1, help="measured runs (the median is printed)")
    parser.add_argument("--cpu", type=int, default=0, help="core for this process (-1: not pinned)")
    parser.add_argument("--upstream-cpu", type=int, default=1, help="core for the upstream (-1: not pinned)")
    parser.add_argument(
        "--guard", action="store_true", help="the default guard policy on (guard off by default)"
    )
    parser.add_argument("--bare", action="store_true", help="the bare pass-through (bench/passthrough.py)")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop", help="as uvicorn's auto")
    parser.add_argument("--profile", action="store_true", help="print a cProfile listing of each run")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (tottime, cumulative, ...)")
    parser.add_argument("--lines", type=int, default=40, help="cProfile lines to print")
    args = parser.parse_args()

    cpu = args.cpu if args.cpu >= 0 and args.cpu in os.sched_getaffinity(0) else None
    upstream_cpu = args.upstream_cpu if args.upstream_cpu >= 0 and args.upstream_cpu != cpu else None
    with tempfile.TemporaryDirectory(prefix="trueport-serving-path-") as directory:
        home = Path(directory)
        port = free_port()
        upstream = start_upstream(port, upstream_cpu, home / "upstream.log")
        try:
            config, key = prepare(home, port, args.guard)
            if cpu is not None:
                os.sched_setaffinity(0, {cpu})
            app = build_app(config, port, args.bare)
            if args.loop == "uvloop":
                results = uvloop.run(measure(app, key, args))
            else:
                results = asyncio.run(measure(app, key, args))
        finally:
            upstream.terminate()
            upstream.wait(timeout=10)
    if len(results) > 1:
        print(f"median CPU ms/req {statistics.median(results):.3f} over {len(results)} runs")


if __name__ == "__main__":
    main()
