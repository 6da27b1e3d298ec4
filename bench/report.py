"""Results: raw trials per system, their summary, the Markdown table and the JSON file.

With ``--repeat N`` every system is measured N times, round-robin; the table shows medians, and the
overhead of a round is taken against the direct-to-upstream measurement of the same round (at the fixed
rate) or against the upstream measured alone right after the system's turn at the same rate (at half
of the system's saturation).
"""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from measure import FixedRate, Saturation

DIRECT = "direct"
HIGH_LOAD = 0.5  # load average (per machine) above which the report warns that others were busy
MAX_SEND_LAG_MS = 10.0  # p99 lateness of the open-loop sender above which its schedule is suspect
QUEUEING_MS = 50.0  # overhead p50 at half of saturation above which requests are queueing there


@dataclass
class Trial:
    startup_s: float | None = None
    fixed_rate: FixedRate | None = None
    saturation: Saturation | None = None
    rss_mib: float | None = None
    failure: str | None = None
    # Fixed-rate attempts thrown away because the load generator itself was starved (busy machine).
    discarded: list[FixedRate] = field(default_factory=list)
    half_rate: FixedRate | None = None  # open loop at half of this trial's saturation
    half_rate_direct: FixedRate | None = None  # the upstream alone at that rate, after the system stopped
    half_discarded: list[FixedRate] = field(default_factory=list)


@dataclass
class Row:
    name: str
    label: str
    version: str
    trials: list[Trial] = field(default_factory=list)


@dataclass
class Summary:
    """The medians shown in the table (None: not measured)."""

    name: str
    label: str
    version: str
    saturation_rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    overhead_p50_ms: float | None = None
    overhead_p99_ms: float | None = None
    half_rate_rps: float | None = None  # the second open-loop phase: half of the saturation, rounded
    half_p50_ms: float | None = None
    half_p99_ms: float | None = None
    half_overhead_p50_ms: float | None = None
    half_overhead_p99_ms: float | None = None
    # CPU ms per request served during the measured saturation run (see measure.ServerCpu).
    serving_cpu_ms: float | None = None
    background_cpu_ms: float | None = None
    installation_cpu_ms: float | None = None
    background_processes: int = 0  # most seen in any round (0: the installation has none)
    rss_mib: float | None = None
    startup_s: float | None = None
    saturation_errors: int = 0
    rate_errors: int = 0
    half_rate_errors: int = 0
    overloaded: bool = False  # could not keep up with the fixed rate: its latencies are queueing
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def errors(self) -> int:
        return self.saturation_errors + self.rate_errors + self.half_rate_errors


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _percentile(result: FixedRate | None, name: str) -> float | None:
    if result is None:
        return None
    return result.latency_ms.get(name)


def _overloaded(trial: Trial, rate: float) -> bool:
    if trial.saturation and trial.saturation.requests_per_s < rate:
        return True
    return bool(trial.fixed_rate and trial.fixed_rate.errors.get("TimeoutError"))


def _difference(mine: float | None, theirs: float | None) -> float | None:
    return mine - theirs if mine is not None and theirs is not None else None


def _open_loop_warnings(where: str, phase: str, result: FixedRate, discarded: list[FixedRate]) -> list[str]:
    warnings = []
    if result.error_count:
        warnings.append(
            f"{where}{phase} errors: non-2xx {result.non_2xx}, client {result.errors}, "
            f"unfinished {result.unfinished}; e.g. {result.error_samples[:2]}"
        )
    lag = result.send_lag_ms.get("p99")
    if lag is not None and lag > MAX_SEND_LAG_MS:
        warnings.append(f"{where}{phase}: load generator ran late (send lag p99 {lag:.1f} ms)")
    for attempt in discarded:
        warnings.append(
            f"{where}a {phase} attempt was measured again: the load generator was starved "
            f"(send lag p99 {attempt.send_lag_ms.get('p99', 0):.0f} ms); it had "
            f"{attempt.error_count} errors {attempt.error_samples[:1]}"
        )
    return warnings


def _summarize_half(summary: Summary, trials: list[Trial]) -> None:
    """The phase at half of each round's own saturation, against the upstream alone at that rate."""
    overheads: dict[str, list[float | None]] = {"p50": [], "p99": []}
    for index, trial in enumerate(trials):
        where = f"round {index + 1}: " if len(trials) > 1 else ""
        result = trial.half_rate
        if result is None:
            continue
        summary.half_rate_errors += result.error_count
        summary.warnings += _open_loop_warnings(
            where, f"{result.rate:g} req/s (half)", result, trial.half_discarded
        )
        if result.errors.get("TimeoutError"):  # queueing, not overhead: left out
            summary.warnings.append(f"{where}timeouts at half of saturation: left out of that overhead")
            continue
        for name, values in overheads.items():
            values.append(_difference(_percentile(result, name), _percentile(trial.half_rate_direct, name)))
    summary.half_rate_rps = _median([t.half_rate.rate if t.half_rate else None for t in trials])
    summary.half_p50_ms = _median([_percentile(t.half_rate, "p50") for t in trials])
    summary.half_p99_ms = _median([_percentile(t.half_rate, "p99") for t in trials])
    summary.half_overhead_p50_ms = _median(overheads["p50"])
    summary.half_overhead_p99_ms = _median(overheads["p99"])
    if summary.half_overhead_p50_ms is not None and summary.half_overhead_p50_ms > QUEUEING_MS:
        summary.warnings.append(
            f"overhead p50 at half of saturation is {summary.half_overhead_p50_ms:.0f} ms: requests queue at "
            f"that rate, so the saturation figure overstates the rate it sustains (work left behind by the "
            f"closed-loop run, such as a background backlog, or a busy machine)"
        )
    if summary.name != DIRECT and summary.half_rate_rps is None and trials and not summary.failed:
        summary.warnings.append("no phase at half of saturation: saturation was not measured")


def _summarize_cpu(summary: Summary, trials: list[Trial]) -> None:
    cpus = [t.saturation.server_cpu if t.saturation else None for t in trials]
    summary.serving_cpu_ms = _median([cpu.serving_ms if cpu else None for cpu in cpus])
    summary.background_cpu_ms = _median([cpu.background_ms if cpu else None for cpu in cpus])
    summary.installation_cpu_ms = _median([cpu.installation_ms if cpu else None for cpu in cpus])
    summary.background_processes = max((cpu.background_processes for cpu in cpus if cpu), default=0)
    ended = sum(cpu.processes_ended for cpu in cpus if cpu)
    if ended:
        summary.warnings.append(
            f"{ended} server process(es) ended during a measured saturation run: their CPU is not counted"
        )


def summarize(rows: list[Row], rate: float) -> list[Summary]:
    direct = next((row for row in rows if row.name == DIRECT), None)
    summaries = []
    for row in rows:
        summary = Summary(name=row.name, label=row.label, version=row.version)
        overheads: dict[str, list[float | None]] = {"p50": [], "p99": []}
        overloaded_rounds = []
        for index, trial in enumerate(row.trials):
            where = f"round {index + 1}: " if len(row.trials) > 1 else ""
            if trial.failure:
                summary.failures.append(where + trial.failure)
            base = direct.trials[index].fixed_rate if direct and index < len(direct.trials) else None
            if row.name != DIRECT and _overloaded(trial, rate):
                overloaded_rounds.append(index + 1)
            else:  # an overloaded round measures queueing, not overhead
                for name, values in overheads.items():
                    mine, theirs = _percentile(trial.fixed_rate, name), _percentile(base, name)
                    values.append(mine - theirs if mine is not None and theirs is not None else None)
            if trial.saturation:
                summary.saturation_errors += trial.saturation.error_count
                if trial.saturation.error_count:
                    summary.warnings.append(f"{where}saturation errors {trial.saturation.errors}")
            if trial.fixed_rate:
                summary.rate_errors += trial.fixed_rate.error_count
                summary.warnings += _open_loop_warnings(
                    where, "fixed-rate", trial.fixed_rate, trial.discarded
                )
        summary.overloaded = len(overloaded_rounds) * 2 > len(row.trials)
        if overloaded_rounds and not summary.overloaded:
            summary.warnings.append(
                f"round(s) {overloaded_rounds} could not keep up with {rate:g} req/s (busy machine?) and "
                f"are left out of the overheads"
            )
        trials = row.trials
        summary.saturation_rps = _median(
            [t.saturation.requests_per_s if t.saturation else None for t in trials]
        )
        summary.p50_ms = _median([_percentile(t.fixed_rate, "p50") for t in trials])
        summary.p99_ms = _median([_percentile(t.fixed_rate, "p99") for t in trials])
        if row.name != DIRECT:
            summary.overhead_p50_ms = _median(overheads["p50"])
            summary.overhead_p99_ms = _median(overheads["p99"])
            if summary.overhead_p50_ms is not None and summary.overhead_p50_ms < -0.5:
                summary.warnings.append(
                    "negative overhead: the direct baseline was measured in worse conditions (busy machine)"
                    "; this row's overheads are not trustworthy, run again"
                )
        _summarize_cpu(summary, trials)
        _summarize_half(summary, trials)
        summary.warnings += _backlog_warnings(trials)
        if summary.overloaded:
            capacity = f"saturates at {_rps(summary.saturation_rps)} req/s" if summary.saturation_rps else ""
            summary.warnings.insert(
                0,
                f"overloaded by the fixed rate of {rate:g} req/s ({capacity}): its fixed-rate latencies and "
                f"errors measure queueing, not overhead; compare overheads with a lower --rate",
            )
        summary.rss_mib = _median([t.rss_mib for t in trials])
        summary.startup_s = _median([t.startup_s for t in trials])
        summaries.append(summary)
    return summaries


def _backlog_warnings(trials: list[Trial]) -> list[str]:
    """The background kept working after the saturation run: the installation sustains less."""
    sustained: list[float | None] = [
        t.saturation.requests / (t.saturation.duration_s + t.saturation.settle_s)
        for t in trials
        if t.saturation and t.saturation.settle_s is not None and t.saturation.settle_s > 1.0
    ]
    settled: list[float | None] = [t.saturation.settle_s for t in trials if t.saturation]
    if not sustained:
        return []
    return [
        f"its processes kept working {_median(settled) or 0:.1f} s after the saturation run (the "
        f"recorder's backlog): the whole installation sustains at most {_rps(_median(sustained))} req/s"
    ]


def machine_info() -> dict[str, Any]:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return {
        "cpu_model": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def _num(value: float | None, digits: int = 2, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _rps(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _ratio(numerator: float | None, denominator: float | None, *, floor: float = 0.0) -> str:
    if numerator is None or denominator is None or denominator <= floor:
        return "n/a"
    return f"{numerator / denominator:.2f}x"


def _overhead(summary: Summary, value: float | None) -> str:
    return "overloaded" if summary.overloaded else _num(value, signed=True)


def _ratio_rows(by_name: dict[str, Summary]) -> list[str]:
    trueport = by_name.get("trueport")
    if trueport is None or trueport.failed:
        return []
    lines = [
        "| ratio (same run) | saturation req/s | overhead p50 | overhead p99 | serving CPU ms/req "
        "| installation CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    pairs = (
        ("trueport", "bare", "TruePort / bare"),
        ("trueport", "litellm", "TruePort / LiteLLM"),
        ("trueport-redis", "trueport", "TruePort + Redis / TruePort (in-memory)"),
        (
            "trueport-redis-handoff",
            "trueport-redis",
            "Redis hand-off / local spool hand-off (both Redis state)",
        ),
        ("trueport-guard", "trueport", "TruePort + guard / TruePort (guard off)"),
        ("trueport-workers2", "trueport", "TruePort 2 workers / 1 worker"),
    )
    for mine_name, other_name, title in pairs:
        mine, other = by_name.get(mine_name), by_name.get(other_name)
        if mine is None or mine.failed or other is None or other.failed:
            continue
        comparable = not (mine.overloaded or other.overloaded)
        p50 = _ratio(mine.overhead_p50_ms, other.overhead_p50_ms, floor=0.05) if comparable else "n/a"
        p99 = _ratio(mine.overhead_p99_ms, other.overhead_p99_ms, floor=0.05) if comparable else "n/a"
        lines.append(
            f"| {title} | {_ratio(mine.saturation_rps, other.saturation_rps)} | {p50} | {p99} "
            f"| {_ratio(mine.serving_cpu_ms, other.serving_cpu_ms)} "
            f"| {_ratio(mine.installation_cpu_ms, other.installation_cpu_ms)} |"
        )
    return lines if len(lines) > 2 else []


def render_markdown(meta: dict[str, Any], summaries: list[Summary]) -> str:
    settings = meta["settings"]
    machine = meta["machine"]
    by_name = {summary.name: summary for summary in summaries}
    rate = f"{settings['rate']:g}"
    lines = [
        "# TruePort benchmark",
        "",
        f"- date: {meta['date']}",
        f"- machine: {machine['cpu_model']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}, Python {machine['python']}; load average at start "
        f"{meta['load_before']:.2f}, at end {meta['load_after']:.2f}",
        f"- placement: {meta['placement']}; network: {meta['network']}",
        f"- versions: {'; '.join(f'{s.label}: {s.version}' for s in summaries)}; {meta['wrk_version']}",
        f"- saturation: wrk, 1 thread, {settings['connections']} connections, "
        f"{settings['warmup_s']:g} s warm-up + {settings['duration_s']:g} s, no upstream delay",
        f"- fixed rate: open loop (bench/loadgen.py), {settings['rate']:g} req/s for "
        f"{settings['rate_duration_s']:g} s after {settings['rate_warmup_s']:g} s warm-up, upstream delay "
        f"{settings['delay_ms']} ms; overhead = percentile through the system minus the same percentile direct"
        f" to the upstream, same round",
        f"- half saturation: the same open loop at {settings['half_saturation_fraction']:g} x the system's "
        f"measured saturation (rounded); its overhead is against the upstream alone at that rate, measured "
        f"right after the system's turn",
        "- CPU ms/req: CPU time (user + system) of the server's process group during the measured saturation "
        "run / requests served; serving = processes without a `recorder`/`worker` argument, background = "
        "with one, installation = both; processes that ended during the run are not counted",
        f"- rounds: {settings['repeat']} (medians shown)",
        f"- command: `{meta['command']}`",
        "",
        "| system | saturation req/s | CPU ms/req serving | CPU ms/req background | CPU ms/req installation "
        f"| p50 ms @{rate} | p99 ms @{rate} | overhead p50 ms @{rate} | overhead p99 ms @{rate} "
        "| half-saturation req/s | overhead p50 ms @half | overhead p99 ms @half | RSS MiB "
        "| errors (sat / rate / half) | start-up s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for summary in summaries:
        label = "upstream (direct)" if summary.name == DIRECT else summary.label
        if summary.failed and summary.saturation_rps is None and summary.p50_ms is None:
            lines.append(f"| {label} | **FAILED** (see below) |{' |' * 13}")
            continue
        errors = f"{summary.saturation_errors} / {summary.rate_errors} / {summary.half_rate_errors}"
        if summary.errors:
            errors = f"**⚠ {errors}**"
        background = _num(summary.background_cpu_ms, 3)
        if summary.installation_cpu_ms is not None and not summary.background_processes:
            background = "none"  # no recorder/worker process in the group
        lines.append(
            f"| {label}{' **(FAILED)**' if summary.failed else ''} | {_rps(summary.saturation_rps)} "
            f"| {_num(summary.serving_cpu_ms, 3)} | {background} | {_num(summary.installation_cpu_ms, 3)} "
            f"| {_num(summary.p50_ms)} | {_num(summary.p99_ms)} "
            f"| {_overhead(summary, summary.overhead_p50_ms)} | {_overhead(summary, summary.overhead_p99_ms)} "
            f"| {_rps(summary.half_rate_rps)} | {_num(summary.half_overhead_p50_ms, signed=True)} "
            f"| {_num(summary.half_overhead_p99_ms, signed=True)} | {_num(summary.rss_mib, 0)} | {errors} "
            f"| {_num(summary.startup_s, 1)} |"
        )
    ratios = _ratio_rows(by_name)
    if ratios:
        lines += ["", *ratios]
        lines += [
            "",
            "Throughput ratio above 1 means the first system serves more; overhead and CPU ratios below 1 "
            "mean it adds less. RSS: the whole process group at the end of its turn; start-up: from launch "
            "to the first 200 from its readiness URL (TruePort: /readyz).",
        ]
    notes = [f"- {message}" for message in meta.get("notes", [])]
    for summary in summaries:
        notes += [f"- **{summary.label} FAILED**: {failure}" for failure in summary.failures]
        notes += [f"- ⚠ {summary.label}: {warning}" for warning in summary.warnings]
    if any(summary.errors for summary in summaries):
        notes.insert(0, "- **⚠ THIS RUN HAD ERRORS (non-2xx or client errors): its numbers are suspect.**")
    if notes:
        lines += ["", "## Warnings", "", *notes]
    return "\n".join(lines) + "\n"


def as_json(meta: dict[str, Any], rows: list[Row], summaries: list[Summary]) -> dict[str, Any]:
    return {
        "meta": meta,
        "summary": [asdict(summary) for summary in summaries],
        "rows": [asdict(row) for row in rows],
    }
