"""The two measurements, each run as a separate process pinned to the load-generator core.

* :func:`saturation`: wrk (closed loop, C, one thread) with ``wrk_chat.lua``: a warm-up run that is
  thrown away, then the measured run. Gives requests/s at saturation, its error counts and the
  server's CPU time per request (serving processes, background processes, whole installation).
* :func:`fixed_rate`: ``loadgen.py`` (open loop, latency from the scheduled send time).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from processes import BenchError, CpuUse, GroupUsage, child_env, cpu_between, run_command

BENCH_DIR = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH_DIR / "wrk_chat.lua"
LOADGEN = BENCH_DIR / "loadgen.py"


@dataclass
class Target:
    """Where and how to send chat completions."""

    url: str  # full URL of the chat completions endpoint
    key: str  # bearer token ("" for none)
    model: str  # model for the saturation test (no upstream delay)
    delayed_model: str  # model for the fixed-rate test (upstream adds the delay)


@dataclass
class ServerCpu:
    """The server's CPU time during one phase, in ms per request sent or served.

    ``serving``: processes of its group without a ``recorder``/``worker`` argument (uvicorn and its
    workers); ``background``: those with one; ``installation``: both. Processes that ended during the
    phase are not counted (``processes_ended`` says how many).
    """

    serving_ms: float
    background_ms: float
    installation_ms: float
    processes: int
    background_processes: int
    processes_ended: int

    @classmethod
    def per_request(cls, use: CpuUse, after: GroupUsage, requests: int) -> ServerCpu:
        return cls(
            serving_ms=use.serving_s * 1000 / requests,
            background_ms=use.background_s * 1000 / requests,
            installation_ms=use.installation_s * 1000 / requests,
            processes=use.processes,
            background_processes=sum(process.background for process in after.processes),
            processes_ended=use.ended,
        )


SETTLE_POLL_S = 0.25
SETTLE_IDLE_SHARE = 0.03  # "idle": the group used less than 3 % of a core over one poll
SETTLE_MAX_S = 60.0


def settle(usage: Callable[[], GroupUsage]) -> float:
    """Wait until the server's process group is idle (at most ``SETTLE_MAX_S``); the seconds waited."""
    started = time.monotonic()
    last = usage().cpu_s
    while time.monotonic() - started < SETTLE_MAX_S:
        time.sleep(SETTLE_POLL_S)
        now = usage().cpu_s
        if now - last < SETTLE_POLL_S * SETTLE_IDLE_SHARE:
            break
        last = now
    return time.monotonic() - started


@dataclass
class Saturation:
    requests_per_s: float
    requests: int
    duration_s: float
    errors: dict[str, int]
    latency_ms: dict[str, float]
    server_cpu: ServerCpu | None = None
    settle_s: float | None = None  # how long the group kept working after the load (its backlog)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


@dataclass
class FixedRate:
    rate: float
    scheduled: int
    completed: int
    ok: int
    non_2xx: dict[str, int]
    errors: dict[str, int]
    unfinished: int
    latency_ms: dict[str, float]
    send_lag_ms: dict[str, float]
    error_samples: list[str] = field(default_factory=list)
    server_cpu: ServerCpu | None = None  # per request sent, warm-up included (its CPU is too)

    @property
    def error_count(self) -> int:
        return sum(self.non_2xx.values()) + sum(self.errors.values()) + self.unfinished

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _wrk_once(target: Target, *, connections: int, seconds: float, cpu: int | None) -> dict[str, Any]:
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        target.url,
    ]
    env = child_env({"BENCH_KEY": target.key, "BENCH_MODEL": target.model})
    completed = run_command(argv, timeout_s=seconds + 60, cpu=cpu, env=env)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            parsed: dict[str, Any] = orjson.loads(line.removeprefix("BENCH_JSON "))
            return parsed
    raise BenchError(f"wrk gave no result (exit {completed.returncode}): {completed.stderr.strip()[-400:]}")


def saturation(
    target: Target,
    *,
    connections: int,
    warmup_s: float,
    duration_s: float,
    cpu: int | None,
    server_usage: Callable[[], GroupUsage] | None = None,
) -> Saturation:
    """wrk's warm-up (thrown away), then the measured run; ``server_usage`` reads the server's group."""
    if warmup_s > 0:
        _wrk_once(target, connections=connections, seconds=warmup_s, cpu=cpu)
    if server_usage:
        settle(server_usage)  # the warm-up's backlog is not the measured run's
    before = server_usage() if server_usage else None
    raw = _wrk_once(target, connections=connections, seconds=duration_s, cpu=cpu)
    seconds = raw["duration_us"] / 1e6
    errors = {name: count for name, count in raw["errors"].items() if count}
    result = Saturation(
        requests_per_s=raw["requests"] / seconds if seconds > 0 else 0.0,
        requests=raw["requests"],
        duration_s=seconds,
        errors=errors,
        latency_ms={name: value / 1000 for name, value in raw["latency_us"].items()},
    )
    if server_usage and before is not None and raw["requests"]:
        # Background work the load left behind (the recorder's backlog: it runs at a lower priority
        # on the same core) belongs to these requests: read the CPU once the group is idle again.
        result.settle_s = settle(server_usage)
        after = server_usage()
        result.server_cpu = ServerCpu.per_request(cpu_between(before, after), after, raw["requests"])
    return result


def fixed_rate(
    target: Target,
    *,
    rate: float,
    warmup_s: float,
    duration_s: float,
    cpu: int | None,
    server_usage: Callable[[], GroupUsage] | None = None,
) -> FixedRate:
    """One open-loop run of ``loadgen.py``; ``server_usage`` reads the server's group around it."""
    argv = [
        sys.executable,
        str(LOADGEN),
        "--url",
        target.url,
        "--key",
        target.key,
        "--model",
        target.delayed_model,
        "--rate",
        str(rate),
        "--duration",
        str(duration_s),
        "--warmup",
        str(warmup_s),
    ]
    before = server_usage() if server_usage else None
    completed = run_command(argv, timeout_s=warmup_s + duration_s + 60, cpu=cpu)
    after = server_usage() if server_usage else None
    if completed.returncode != 0:
        raise BenchError(f"loadgen failed (exit {completed.returncode}): {completed.stderr.strip()[-400:]}")
    raw: dict[str, Any] = orjson.loads(completed.stdout)
    result = FixedRate(
        rate=raw["rate"],
        scheduled=raw["scheduled"],
        completed=raw["completed"],
        ok=raw["ok"],
        non_2xx=raw["non_2xx"],
        errors=raw["errors"],
        unfinished=raw["unfinished"],
        latency_ms=raw["latency_ms"],
        send_lag_ms=raw["send_lag_ms"],
        error_samples=raw["error_samples"],
    )
    sent = round(warmup_s * rate) + round(duration_s * rate)  # as loadgen.py counts them
    if before is not None and after is not None and sent:
        result.server_cpu = ServerCpu.per_request(cpu_between(before, after), after, sent)
    return result
