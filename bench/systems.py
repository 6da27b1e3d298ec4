"""The systems under test and the shared upstream: how each is configured, started and checked.

Every system gets the same two model names, both served by the same upstream process:
``bench-model`` (answered at once) and ``bench-model-d<N>`` (the upstream waits ``N`` ms first).
Configs are written as JSON, which every YAML parser reads.
"""

from __future__ import annotations

import importlib.metadata
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import orjson
from measure import Target
from processes import (
    BenchError,
    Service,
    ServiceSet,
    child_env,
    free_port,
    http_post_json,
    run_command,
    start,
    wait_healthy,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
UPSTREAM_KEY = "bench-upstream-key"
MODEL = "bench-model"
EXPECTED_CONTENT = re.compile(r"Hello from the bench upstream, answer \d{8}\.")  # numbered per answer


@dataclass(frozen=True)
class Context:
    workdir: Path  # fresh per run: configs, databases, logs
    upstream_base: str  # e.g. http://127.0.0.1:9000/v1
    delay_ms: int
    server_cpu: int | None
    load_cpu: int | None
    litellm_python: Path | None  # None when LiteLLM could not be installed
    litellm_unavailable: str  # why, when it could not

    @property
    def delayed_model(self) -> str:
        return f"{MODEL}-d{self.delay_ms}"


@dataclass
class Running:
    service: Service
    target: Target
    startup_s: float


class System(Protocol):
    @property
    def name(self) -> str: ...  # as given to --only

    @property
    def label(self) -> str: ...  # as shown in the table

    def version(self, ctx: Context) -> str: ...

    def launch(self, ctx: Context, services: ServiceSet) -> Running: ...


def _write_config(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2) + b"\n")
    return path


def _git_revision() -> str:
    try:
        sha = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_DIR), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}{'+dirty' if dirty else ''}"


def start_upstream(ctx: Context, services: ServiceSet, port: int) -> Service:
    argv = [sys.executable, str(BENCH_DIR / "upstream.py"), "--port", str(port)]
    service = services.add(start("upstream", argv, cpu=ctx.load_cpu, log_path=ctx.workdir / "upstream.log"))
    wait_healthy(service, f"http://127.0.0.1:{port}/healthz", timeout_s=60)
    return service


def direct_target(ctx: Context) -> Target:
    return Target(
        url=f"{ctx.upstream_base}/chat/completions",
        key=UPSTREAM_KEY,
        model=MODEL,
        delayed_model=ctx.delayed_model,
    )


def smoke_check(target: Target) -> None:
    """One request through the system must come back 200 with the upstream's answer."""
    body = orjson.dumps({"model": target.model, "messages": [{"role": "user", "content": "Say hello."}]})
    headers = {"content-type": "application/json"}
    if target.key:
        headers["authorization"] = f"Bearer {target.key}"
    status, content = http_post_json(target.url, body, headers, timeout_s=30)
    try:
        answer = orjson.loads(content)["choices"][0]["message"]["content"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        answer = None
    if status != 200 or not isinstance(answer, str) or not EXPECTED_CONTENT.fullmatch(answer):
        raise BenchError(f"smoke request failed: HTTP {status}: {content[:300]!r}")
    if target.key:  # the system claims auth: a wrong key must be refused, or the comparison is unfair
        headers["authorization"] = "Bearer sk-bench-wrong-key-0000000000000000"
        status, content = http_post_json(target.url, body, headers, timeout_s=30)
        if 200 <= status < 300:
            raise BenchError(f"auth is off: a wrong key got HTTP {status}: {content[:200]!r}")


class Bare:
    name: ClassVar[str] = "bare"
    label: ClassVar[str] = "bare pass-through"

    def version(self, ctx: Context) -> str:
        versions = (
            f"{package} {importlib.metadata.version(package)}" for package in ("starlette", "uvicorn")
        )
        return ", ".join(versions)

    def launch(self, ctx: Context, services: ServiceSet) -> Running:
        port = free_port()
        argv = [sys.executable, str(BENCH_DIR / "passthrough.py"), "--port", str(port)]
        argv += ["--upstream", ctx.upstream_base, "--upstream-key", UPSTREAM_KEY]
        service = services.add(start("bare", argv, cpu=ctx.server_cpu, log_path=ctx.workdir / "bare.log"))
        startup = wait_healthy(service, f"http://127.0.0.1:{port}/healthz", timeout_s=60)
        target = Target(f"http://127.0.0.1:{port}/v1/chat/completions", "", MODEL, ctx.delayed_model)
        return Running(service, target, startup)


class TruePort:
    """TruePort with key auth, RPM check and request records on; the variants add shared state, the guard
    or a second worker.

    ``trueport``: in-memory state, guard off, one worker (the gateway-core comparison);
    ``trueport-redis``: limits, breakers and idempotency state in a local redis-server;
    ``trueport-guard``: the default guard policy (PII, secrets, injection, bias) on every request;
    ``trueport-workers2``: as ``trueport`` with ``--workers 2``, pinned to both cores (the server
    core and the load core), since two workers on one core would only measure their contention;
    ``trueport-redis-handoff``: Redis state and ``recorder.handoff: redis`` (each finished call to the
    stream before its answer ends; Redis with ``appendonly yes``, ``appendfsync always``, as the README
    asks for the replica-loss guarantee).
    """

    def __init__(
        self,
        name: str = "trueport",
        label: str = "TruePort",
        *,
        redis: bool = False,
        guard: bool = False,
        workers: int = 1,
        handoff: str = "spool",
    ):
        self.name = name
        self.label = label
        self._redis = redis or handoff == "redis"
        self._handoff = handoff
        self._guard = guard
        self._workers = workers

    def _placement(self, ctx: Context) -> int | str | None:
        if self._workers == 1:
            return ctx.server_cpu
        if ctx.server_cpu is None or ctx.load_cpu is None:
            return None
        return f"{ctx.server_cpu},{ctx.load_cpu}"

    @staticmethod
    def _cli() -> Path:
        cli = Path(sys.executable).parent / "trueport"
        if not cli.exists():
            raise BenchError(f"trueport CLI not found at {cli}: run the bench with `uv run`")
        return cli

    def version(self, ctx: Context) -> str:
        try:
            version = importlib.metadata.version("trueport")
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        return f"trueport {version} (git {_git_revision()})"

    def _cli_run(self, args: list[str], config: Path, ctx: Context) -> str:
        argv = [str(self._cli()), *args, "--config", str(config)]
        completed = run_command(argv, timeout_s=180, cpu=ctx.load_cpu, cwd=config.parent)
        if completed.returncode != 0:
            detail = (completed.stderr or completed.stdout).strip()[-600:]
            raise BenchError(f"`trueport {' '.join(args)}` failed (exit {completed.returncode}): {detail}")
        return completed.stdout

    def launch(self, ctx: Context, services: ServiceSet) -> Running:
        home = ctx.workdir / self.name
        shutil.rmtree(home, ignore_errors=True)
        upstream = {"type": "openai", "base_url": ctx.upstream_base, "api_key": UPSTREAM_KEY}
        settings: dict[str, Any] = {
            "database": f"sqlite:///{home / 'bench.db'}",
            "providers": {"up": upstream},
            "models": {
                MODEL: [{"provider": "up", "model": MODEL}],
                ctx.delayed_model: [{"provider": "up", "model": ctx.delayed_model}],
            },
            "guard": {"enabled": self._guard},
        }
        if self._redis:
            home.mkdir(parents=True, exist_ok=True)  # Redis's append-only file goes there
            redis_port = free_port()
            redis_server = shutil.which("redis-server")
            if redis_server is None:
                raise BenchError("redis-server is not installed (apt-get install redis-server)")
            redis_argv = [
                redis_server,
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *(
                    ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(home)]
                    if self._handoff == "redis"
                    else ["--appendonly", "no"]
                ),
            ]
            services.add(start("redis", redis_argv, cpu=ctx.load_cpu, log_path=ctx.workdir / "redis.log"))
            time.sleep(0.3)
            settings["redis"] = f"redis://127.0.0.1:{redis_port}/0"
            if self._handoff == "redis":
                settings["recorder"] = {"handoff": "redis"}
        config = _write_config(home / "config.yaml", settings)
        self._cli_run(["tenants", "create", "bench"], config, ctx)
        output = self._cli_run(["keys", "create", "--tenant", "bench", "--rpm", "100000000"], config, ctx)
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        if not lines:
            raise BenchError("`trueport keys create` printed no key")
        key = lines[-1]
        port = free_port()
        argv = [str(self._cli()), "serve", "--config", str(config), "--port", str(port)]
        argv += ["--workers", str(self._workers)]
        log_path = ctx.workdir / f"{self.name}.log"
        service = services.add(start(self.name, argv, cpu=self._placement(ctx), log_path=log_path, cwd=home))
        # Ready, not just alive: /readyz answers 200 once the database and the record writers are up.
        startup = wait_healthy(service, f"http://127.0.0.1:{port}/readyz", timeout_s=180)
        target = Target(f"http://127.0.0.1:{port}/v1/chat/completions", key, MODEL, ctx.delayed_model)
        return Running(service, target, startup)


class LiteLLM:
    name: ClassVar[str] = "litellm"
    label: ClassVar[str] = "LiteLLM proxy"

    def version(self, ctx: Context) -> str:
        if ctx.litellm_python is None:
            return "litellm (not installed)"
        packages = ("litellm", "openai", "fastapi", "uvicorn")
        script = f"import importlib.metadata as m; print(*(m.version(p) for p in {packages!r}))"
        completed = run_command([str(ctx.litellm_python), "-c", script], timeout_s=60)
        versions = completed.stdout.split()
        if len(versions) != len(packages):
            return "litellm ?"
        deps = ", ".join(
            f"{name} {version}" for name, version in zip(packages[1:], versions[1:], strict=True)
        )
        return f"litellm {versions[0]} ({deps})"

    def launch(self, ctx: Context, services: ServiceSet) -> Running:
        if ctx.litellm_python is None:
            raise BenchError(f"LiteLLM unavailable: {ctx.litellm_unavailable}")
        home = ctx.workdir / "litellm"
        shutil.rmtree(home, ignore_errors=True)
        master_key = f"sk-bench-{secrets.token_hex(16)}"
        params = {"api_base": ctx.upstream_base, "api_key": UPSTREAM_KEY}
        config = _write_config(
            home / "config.yaml",
            {
                "model_list": [
                    {"model_name": name, "litellm_params": {"model": f"openai/{name}", **params}}
                    for name in (MODEL, ctx.delayed_model)
                ],
                "general_settings": {"master_key": master_key},
                # As LiteLLM's "Production Best Practices" page recommends (json logs, no verbose).
                "litellm_settings": {
                    "telemetry": False,
                    "set_verbose": False,
                    "json_logs": True,
                    "request_timeout": 600,
                },
            },
        )
        env = child_env(
            {
                "LITELLM_TELEMETRY": "False",  # no usage reporting
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # do not fetch the model price list at start-up
                "DISABLE_SCHEMA_UPDATE": "True",
                "LITELLM_LOG": "ERROR",  # production log level
            }
        )
        env.pop("DATABASE_URL", None)  # no database: LiteLLM's own "no DB" mode
        litellm_cli = ctx.litellm_python.parent / "litellm"
        port = free_port()
        argv = [str(litellm_cli), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--num_workers", "1", "--telemetry", "False"]
        service = services.add(
            start(
                "litellm", argv, cpu=ctx.server_cpu, log_path=ctx.workdir / "litellm.log", env=env, cwd=home
            )
        )
        startup = wait_healthy(service, f"http://127.0.0.1:{port}/health/liveliness", timeout_s=240)
        target = Target(f"http://127.0.0.1:{port}/v1/chat/completions", master_key, MODEL, ctx.delayed_model)
        return Running(service, target, startup)


SYSTEMS: dict[str, System] = {
    system.name: system
    for system in (
        Bare(),
        TruePort(),
        TruePort("trueport-redis", "TruePort + Redis state", redis=True),
        TruePort("trueport-guard", "TruePort + default guard", guard=True),
        TruePort("trueport-workers2", "TruePort, 2 workers", workers=2),
        TruePort("trueport-redis-handoff", "TruePort + Redis state and hand-off", handoff="redis"),
        LiteLLM(),
    )
}
