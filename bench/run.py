"""Compare TruePort with a bare Python pass-through and the LiteLLM proxy, in one run.

Same upstream (bench/upstream.py), same load generators (wrk for saturation, bench/loadgen.py for the
open-loop latency at a fixed rate and at half of each system's saturation), one system at a time; the
server under test is pinned to core 0 (the 2-worker TruePort to cores 0-1), the upstream and the load
generators to core 1. Prints a Markdown table and writes bench/results/latest.md and JSON.

    uv run python bench/run.py [--quick] [--only trueport,bare,litellm] [--duration S] [--rate R]

Exits non-zero when TruePort's row fails or has errors. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
from installs import ensure_litellm, ensure_wrk
from measure import FixedRate, Target, fixed_rate, saturation
from processes import BenchError, GroupUsage, ServiceSet, free_port, group_usage, run_command
from report import DIRECT, HIGH_LOAD, Row, Trial, as_json, machine_info, render_markdown, summarize
from systems import SYSTEMS, Context, System, direct_target, smoke_check, start_upstream

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SERVER_CPU, LOAD_CPU = 0, 1
ORDER = (
    "bare",
    "trueport",
    "trueport-redis",
    "trueport-redis-handoff",
    "trueport-guard",
    "trueport-workers2",
    "litellm",
)
FIXED_RATE_RETRIES = 2  # extra fixed-rate attempts when the load generator itself ran late
RETRY_SEND_LAG_MS = 25.0
HALF = 0.5  # the second open-loop phase runs at this fraction of the system's own saturation


@dataclass(frozen=True)
class Prepared:
    """What the install step found, handed to the measuring process."""

    wrk_unavailable: str = ""
    litellm_python: str = ""
    litellm_unavailable: str = ""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short durations, for a smoke run")
    parser.add_argument(
        "--only",
        default=",".join(ORDER),
        help="comma-separated: " + ",".join(ORDER),
    )
    parser.add_argument("--duration", type=float, help="measured seconds of each phase (default 10 / 15)")
    parser.add_argument("--rate", type=float, default=200.0, help="fixed-rate test, requests/s (200)")
    parser.add_argument("--delay-ms", type=int, default=50, help="upstream delay in the fixed-rate test (50)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds, round-robin; medians reported (1)")
    parser.add_argument(
        "--no-netns", action="store_true", help="do not isolate in a private network namespace"
    )
    parser.add_argument("--prepared", help=argparse.SUPPRESS)  # internal: set for the re-executed child
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SYSTEMS))
    if unknown or not names:
        parser.error(f"--only takes some of {','.join(ORDER)} (got {args.only!r})")
    args.systems = [name for name in ORDER if name in names]
    if not 1 <= args.repeat <= 20 or args.rate <= 0 or args.connections < 1:
        parser.error("need 1 <= --repeat <= 20, --rate > 0 and --connections >= 1")
    if args.duration is not None and not 1 <= args.duration <= 600:
        parser.error("--duration must be within 1..600 s")
    quick = args.quick
    args.duration_s = args.duration or (3.0 if quick else 10.0)
    args.warmup_s = 1.0 if quick else 3.0
    args.rate_duration_s = args.duration or (3.0 if quick else 15.0)
    args.rate_warmup_s = 1.0 if quick else 2.0
    return args


# Preparation and isolation (in the parent, with network access) ------------------------------------
def prepare(args: argparse.Namespace) -> Prepared:
    logs = RESULTS_DIR / "logs"
    wrk_unavailable = ensure_wrk(logs) or ""
    if wrk_unavailable:
        log(f"WARNING: {wrk_unavailable}; saturation will not be measured")
    python, litellm_unavailable = (None, "not selected")
    if "litellm" in args.systems:
        python, litellm_unavailable = ensure_litellm(logs)
        if python is None:
            log(f"WARNING: LiteLLM unavailable: {litellm_unavailable}")
    return Prepared(wrk_unavailable, str(python or ""), litellm_unavailable)


def run_isolated(argv: list[str], prepared: Prepared) -> int | None:
    """Re-run this script in a private network namespace (loopback only); None if that is impossible.

    Nothing started by the benchmark can then reach anything but 127.0.0.1 (LiteLLM cannot phone
    home), and no port can collide with other programs on the machine.
    """
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("ip") is None:
        return None
    for prefix in ([unshare, "--net"], [unshare, "--user", "--map-root-user", "--net"]):
        probe = subprocess.run(
            [*prefix, "ip", "link", "set", "lo", "up"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode != 0:
            continue
        payload = orjson.dumps(prepared.__dict__).decode()
        # A new namespace's loopback starts down: bring it up, then become the measuring child.
        script = 'ip link set lo up && exec "$@"'
        command = [
            *prefix,
            "--",
            "sh",
            "-c",
            script,
            "sh",
            sys.executable,
            __file__,
            *argv,
            "--prepared",
            payload,
        ]
        child = subprocess.Popen(command)
        try:
            return child.wait()
        finally:
            if child.poll() is None:  # we were interrupted: let the child clean up, bounded
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(timeout=10)
    return None


# Measurement (in the isolated child, or in-process without isolation) ------------------------------
def run_trial(system: System, ctx: Context, args: argparse.Namespace, wrk_ok: bool) -> Trial:
    trial = Trial()
    services = ServiceSet()
    try:
        running = system.launch(ctx, services)
        trial.startup_s = running.startup_s
        log(f"{system.label}: ready after {running.startup_s:.1f} s")
        smoke_check(running.target)
        pgid = running.service.pgid
        measure_target(running.target, trial, args, wrk_ok=wrk_ok, cpu=ctx.load_cpu, pgid=pgid)
    except BenchError as exc:
        trial.failure = str(exc)
        log(f"{system.label}: FAILED: {exc}")
    finally:
        services.stop_all()
    if trial.half_rate is not None:  # the upstream alone at the same rate: the baseline of that overhead
        try:
            trial.half_rate_direct, _ = open_loop(
                direct_target(ctx), trial.half_rate.rate, args, cpu=ctx.load_cpu
            )
        except BenchError as exc:
            trial.failure = f"direct baseline at {trial.half_rate.rate:g} req/s: {exc}"
    return trial


def open_loop(
    target: Target,
    rate: float,
    args: argparse.Namespace,
    *,
    cpu: int | None,
    usage: Callable[[], GroupUsage] | None = None,
    overloaded: bool = False,
) -> tuple[FixedRate, list[FixedRate]]:
    """One open-loop phase at ``rate``, measured again (bounded) when the generator itself ran late.

    Returns the least-late attempt and the discarded ones.
    """
    attempts: list[FixedRate] = []
    for attempt in range(1 + FIXED_RATE_RETRIES):
        result = fixed_rate(
            target,
            rate=rate,
            warmup_s=args.rate_warmup_s,
            duration_s=args.rate_duration_s,
            cpu=cpu,
            server_usage=usage,
        )
        attempts.append(result)
        # A late generator means the shared machine starved it (it waits for the server asynchronously,
        # so a slow server does not make it late): measure again, a bounded number of times.
        lag = result.send_lag_ms.get("p99", 0.0)
        if lag <= RETRY_SEND_LAG_MS or overloaded or attempt == FIXED_RATE_RETRIES:
            break
        log(f"  load generator ran late (send lag p99 {lag:.0f} ms): machine busy, measuring again")
        time.sleep(2.0)
    best = min(attempts, key=lambda attempt: attempt.send_lag_ms.get("p99", 0.0))
    return best, [attempt for attempt in attempts if attempt is not best]


def measure_target(
    target: Target, trial: Trial, args: argparse.Namespace, *, wrk_ok: bool, cpu: int | None, pgid: int | None
) -> None:
    """Saturation first (closed loop: leaves no backlog), then the fixed rate (may overload the server),
    then, for a system (``pgid`` set), half of its saturation rate."""
    # Re-scanned at every reading: a process the server starts later (a recorder) is counted too.
    usage = (lambda: group_usage(pgid)) if pgid else None
    if wrk_ok:
        trial.saturation = saturation(
            target,
            connections=args.connections,
            warmup_s=args.warmup_s,
            duration_s=args.duration_s,
            cpu=cpu,
            server_usage=usage,
        )
        log(f"  saturation: {trial.saturation.requests_per_s:,.0f} req/s")
        time.sleep(1.0)
    # Below the fixed rate at saturation, the server is overloaded by it: retrying would not help.
    overloaded = trial.saturation is not None and trial.saturation.requests_per_s < args.rate
    trial.fixed_rate, trial.discarded = open_loop(
        target, args.rate, args, cpu=cpu, usage=usage, overloaded=overloaded
    )
    latency = trial.fixed_rate.latency_ms
    log(f"  fixed rate: p50 {latency.get('p50', 0):.2f} ms, p99 {latency.get('p99', 0):.2f} ms")
    half = round(trial.saturation.requests_per_s * HALF) if trial.saturation else 0
    if pgid and half >= 1:
        time.sleep(1.0)
        trial.half_rate, trial.half_discarded = open_loop(target, half, args, cpu=cpu, usage=usage)
        latency = trial.half_rate.latency_ms
        log(f"  {half} req/s: p50 {latency.get('p50', 0):.2f} ms, p99 {latency.get('p99', 0):.2f} ms")
    if pgid:
        trial.rss_mib = group_usage(pgid).rss_bytes / 2**20


def wrk_version() -> str:
    try:
        completed = run_command(["wrk", "--version"], timeout_s=10)
    except (BenchError, OSError):
        return "wrk (not installed)"
    first = (completed.stdout or completed.stderr).splitlines()
    return first[0].split("[")[0].strip() if first else "wrk"


def measure_all(args: argparse.Namespace, prepared: Prepared, network: str, command: str) -> int:
    cores = os.cpu_count() or 1
    server_cpu, load_cpu = (SERVER_CPU, LOAD_CPU) if cores >= 2 else (None, None)
    placement = "server under test on core 0, upstream and load generators on core 1"
    if load_cpu is None:
        placement = "not pinned (fewer than 2 cores)"
    else:
        os.sched_setaffinity(0, {load_cpu})
    load_before = os.getloadavg()[0]
    workdir = RESULTS_DIR / "work"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    wrk_ok = not prepared.wrk_unavailable
    services = ServiceSet()
    rows: list[Row] = []
    try:
        upstream_port = free_port()
        ctx = Context(
            workdir=workdir,
            upstream_base=f"http://127.0.0.1:{upstream_port}/v1",
            delay_ms=args.delay_ms,
            server_cpu=server_cpu,
            load_cpu=load_cpu,
            litellm_python=Path(prepared.litellm_python) if prepared.litellm_python else None,
            litellm_unavailable=prepared.litellm_unavailable,
        )
        start_upstream(ctx, services, upstream_port)
        direct = Row(DIRECT, "upstream (direct)", "bench/upstream.py")
        systems = [SYSTEMS[name] for name in args.systems]
        rows = [direct, *(Row(system.name, system.label, system.version(ctx)) for system in systems)]
        for round_number in range(1, args.repeat + 1):
            log(f"round {round_number}/{args.repeat}: upstream (direct)")
            trial = Trial()
            try:
                measure_target(direct_target(ctx), trial, args, wrk_ok=wrk_ok, cpu=load_cpu, pgid=None)
            except BenchError as exc:
                trial.failure = str(exc)
            direct.trials.append(trial)
            for system, row in zip(systems, rows[1:], strict=True):
                log(f"round {round_number}/{args.repeat}: {system.label}")
                round_ctx = dataclasses.replace(ctx, workdir=workdir / f"round-{round_number}")
                row.trials.append(run_trial(system, round_ctx, args, wrk_ok))
    finally:
        services.stop_all()

    notes = []
    if prepared.wrk_unavailable:
        notes.append(f"saturation not measured: {prepared.wrk_unavailable}")
    load_after = os.getloadavg()[0]
    if max(load_before, load_after) > HIGH_LOAD * cores:
        notes.append(
            f"the machine was busy (load average {load_before:.2f} at start, {load_after:.2f} at end, "
            f"{cores} cores): absolute numbers are noisy; compare the ratios of this run only"
        )
    meta: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": machine_info(),
        "placement": placement,
        "network": network,
        "wrk_version": wrk_version(),
        "command": command,
        "load_before": load_before,
        "load_after": load_after,
        "settings": {
            "systems": args.systems,
            "connections": args.connections,
            "warmup_s": args.warmup_s,
            "duration_s": args.duration_s,
            "rate": args.rate,
            "rate_warmup_s": args.rate_warmup_s,
            "rate_duration_s": args.rate_duration_s,
            "half_saturation_fraction": HALF,
            "delay_ms": args.delay_ms,
            "repeat": args.repeat,
        },
        "notes": notes,
    }
    summaries = summarize(rows, args.rate)
    markdown = render_markdown(meta, summaries)
    print(markdown)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    raw = orjson.dumps(as_json(meta, rows, summaries), option=orjson.OPT_INDENT_2)
    (RESULTS_DIR / "latest.md").write_text(markdown)
    (RESULTS_DIR / "latest.json").write_bytes(raw)
    (RESULTS_DIR / f"{stamp}.json").write_bytes(raw)
    log(f"wrote {RESULTS_DIR / 'latest.md'} and {RESULTS_DIR / (stamp + '.json')}")

    if any(summary.errors for summary in summaries):
        log("⚠⚠⚠ THIS RUN HAD ERRORS: see the Warnings section ⚠⚠⚠")
    trueport = next((summary for summary in summaries if summary.name == "trueport"), None)
    if trueport is not None and (trueport.failed or trueport.errors):
        log("TruePort's row failed or had errors: exit 1")
        return 1
    return 0


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every finally: the services get stopped


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if args.prepared is not None:  # we are the child inside the private network namespace
        prepared = Prepared(**orjson.loads(args.prepared))
        command = "uv run python bench/run.py " + shlex.join(argv[: argv.index("--prepared")])
        return measure_all(args, prepared, "private network namespace (loopback only)", command.strip())
    prepared = prepare(args)
    if not args.no_netns:
        code = run_isolated(argv, prepared)
        if code is not None:
            return code
        log("WARNING: could not create a private network namespace; running on the host's loopback")
    command = "uv run python bench/run.py " + shlex.join(argv)
    return measure_all(args, prepared, "host loopback (not isolated)", command.strip())


if __name__ == "__main__":
    sys.exit(main())
