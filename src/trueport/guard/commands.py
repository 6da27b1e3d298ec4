"""``trueport scan`` and ``trueport eval``: the guard's detectors from the command line.

``scan`` reads JSON Lines on stdin and writes each object back with a ``findings`` list: what the
default thresholds count as violations. Detectors are built once, before the first line. A malformed
line (not a JSON object, or no string ``text``) is reported on stderr with its line number and
skipped; the others are still scanned and written, and the exit status is 1 at the end. The output
thus has one line per *valid* input line: carry an id field through if lines must be matched up.
Blank lines are skipped silently. Output is block-buffered unless ``--line-buffered``.

``eval`` scores one detector on labelled JSON Lines (``trueport.guard.evaluation``) and prints
``key<TAB>value`` lines (or one JSON object with ``--format json``); ``eval --traffic FILE`` screens
whole requests under a policy (``trueport.guard.traffic``) and prints a table per category.

Both are registered on the main ``trueport`` group; ``python -m trueport.guard.commands`` runs them
on their own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from trueport.guard.base import Detector, Direction, ScanContext, Source
from trueport.guard.registry import DETECTOR_NAMES, DetectorLoadError, default_detectors, parse_detector_names
from trueport.settings import CONFIG_PATH_ENV

if TYPE_CHECKING:
    from trueport.guard.traffic import TrafficReport

MAX_REPORTED_ERRORS = 100  # malformed lines reported one by one; the rest are only counted
PROGRESS_INTERVAL_S = 0.5

_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar=CONFIG_PATH_ENV,
    help="Config file (or $TRUEPORT_CONFIG). Accepted for compatibility; no detector option is read from it yet.",
)
_models_option = click.option(
    "--models-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Model repository (Triton layout). Default: the one shipped with TruePort.",
)
_direction_option = click.option(
    "--direction",
    type=click.Choice([d.value for d in Direction]),
    default=Direction.INPUT.value,
    show_default=True,
    help="Scan the texts as prompts (input) or as model answers (output).",
)


def _context(direction: str) -> ScanContext:
    value = Direction(direction)
    return ScanContext(
        direction=value, source=Source.PROMPT if value is Direction.INPUT else Source.COMPLETION
    )


def build_detectors(names: Sequence[str] | None, models_dir: Path | None) -> list[Detector]:
    """The detectors, or a clean CLI error naming what could not be built."""
    from trueport.guard.models import InferenceError

    try:
        return default_detectors(names, models_dir=models_dir)
    except (ValueError, DetectorLoadError, InferenceError) as exc:
        raise click.ClickException(str(exc)) from exc


class _Progress:
    """``\\r<n> lines, <rate> lines/s`` on stderr, at most twice a second, only on a terminal."""

    def __init__(self, stream: IO[str], enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled
        self._started = self._last = time.monotonic()

    def update(self, lines: int) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S:
            self._last = now
            rate = lines / max(now - self._started, 1e-9)
            self._stream.write(f"\rscanned {lines} lines ({rate:,.0f} lines/s)")
            self._stream.flush()

    def done(self, lines: int) -> None:
        if self._enabled:
            self._stream.write(f"\rscanned {lines} lines\n")
            self._stream.flush()


@click.command("scan")
@_config_option
@click.option(
    "--detectors",
    "detector_names",
    default=",".join(DETECTOR_NAMES),
    show_default=True,
    help="Comma-separated detectors to run.",
)
@_models_option
@_direction_option
@click.option("--line-buffered", is_flag=True, help="Flush stdout after every line (for pipes read live).")
@click.option(
    "--stats", "show_stats", is_flag=True, help="Print each detector's timing to stderr at the end."
)
@click.pass_context
def scan_command(
    ctx: click.Context,
    config_path: str | None,
    detector_names: str,
    models_dir: Path | None,
    direction: str,
    line_buffered: bool,
    show_stats: bool,
) -> None:
    """Scan JSON Lines from stdin; write each object with its "findings" to stdout.

    Each input line is a JSON object with a string "text"; other fields pass through unchanged, in
    order. Each finding is {"detector", "type", "start", "end", "score"}: a violation under the
    default thresholds (start/end are character offsets, or null for whole-text verdicts).
    Malformed lines are reported on stderr and skipped; the exit status is then 1.
    """
    from trueport.guard.scanner import Scanner
    from trueport.jsonutil import JSONDecodeError, dumps, loads_object

    del config_path  # accepted for compatibility; detectors take no settings yet
    try:
        names = parse_detector_names(detector_names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--detectors") from exc
    scanner = Scanner(build_detectors(names, models_dir))
    scanner.warm_up()
    context = _context(direction)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    progress = _Progress(sys.stderr, sys.stderr.isatty())
    scanned = errors = 0

    def reject(number: int, message: str) -> None:
        nonlocal errors
        errors += 1
        if errors <= MAX_REPORTED_ERRORS:
            click.echo(f"trueport scan: line {number}: {message}", err=True)

    for number, raw in enumerate(stdin, start=1):
        if not raw.strip():
            continue
        try:
            row = loads_object(raw)
        except (JSONDecodeError, ValueError) as exc:
            reject(number, f"not a JSON object ({exc})")
            continue
        text = row.get("text")
        if not isinstance(text, str):
            reject(number, "missing string field 'text'")
            continue
        row["findings"] = [finding.as_dict() for finding in scanner.scan(text, context)]
        stdout.write(dumps(row) + b"\n")
        if line_buffered:
            stdout.flush()
        scanned += 1
        progress.update(scanned)
    stdout.flush()
    progress.done(scanned)
    if show_stats:
        for name, stats in scanner.stats().items():
            figures = " ".join(f"{key}={value}" for key, value in stats.as_dict().items())
            click.echo(f"trueport scan: {name} {figures}", err=True)
    if errors:
        click.echo(f"trueport scan: {errors} malformed line(s) skipped, {scanned} scanned", err=True)
        ctx.exit(1)


@click.command("eval")
@click.option(
    "--detector",
    "detector_name",
    type=click.Choice(DETECTOR_NAMES),
    default=None,
    help="The detector to measure on --data.",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='With --detector. JSON Lines: {"text", "label" (1 = violation), optional "spans": [[start, end, type], ...]}.',
)
@click.option(
    "--traffic",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Instead of --detector/--data: whole requests (see trueport.guard.traffic) screened under --policy.",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With --traffic: a policy JSON file (default: the policy every new tenant gets).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Score counted as a violation (default: the detector's default threshold).",
)
@_models_option
@_direction_option
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def eval_command(
    detector_name: str | None,
    data: Path | None,
    traffic: Path | None,
    policy_path: Path | None,
    threshold: float | None,
    models_dir: Path | None,
    direction: str,
    output_format: str,
) -> None:
    """Measure a detector on labelled data (--detector, --data): precision, recall, F1, F2, FPR and
    latency; or whole requests through the guard (--traffic): the share refused, changed and flagged.

    Prints "key<TAB>value" lines in a fixed order (see trueport.guard.evaluation), or a table for
    --traffic; --format json prints one JSON object.
    """
    from trueport.jsonutil import dumps

    if traffic is not None:
        if detector_name is not None or data is not None:
            raise click.UsageError("--traffic cannot be combined with --detector or --data")
        report = _eval_traffic(traffic, policy_path, models_dir)
        if output_format == "json":
            click.echo(dumps(report.as_dict()).decode())
        else:
            from trueport.guard.traffic import format_traffic

            click.echo(format_traffic(report), nl=False)
        return
    if detector_name is None or data is None:
        raise click.UsageError("give --detector and --data, or --traffic")
    if policy_path is not None:
        raise click.UsageError("--policy goes with --traffic")

    from trueport.guard.evaluation import DataError, evaluate, format_report, load_labelled

    try:
        items = load_labelled(data)
    except DataError as exc:
        raise click.ClickException(f"{data}: {exc}") from exc
    (detector,) = build_detectors([detector_name], models_dir)
    result = evaluate(detector, items, threshold=threshold, context=_context(direction))
    if output_format == "json":
        click.echo(dumps(result.as_dict()).decode())
    else:
        click.echo(format_report(result), nl=False)


def _eval_traffic(traffic: Path, policy_path: Path | None, models_dir: Path | None) -> TrafficReport:
    from trueport.guard.engine import GuardEngine
    from trueport.guard.evaluation import DataError
    from trueport.guard.policy import Policy, PolicyError, default_policy
    from trueport.guard.traffic import load_traffic, run_traffic

    try:
        items = load_traffic(traffic)
    except DataError as exc:
        raise click.ClickException(f"{traffic}: {exc}") from exc
    try:
        policy = Policy.from_json(policy_path.read_bytes()) if policy_path is not None else default_policy()
    except PolicyError as exc:
        raise click.ClickException(f"{policy_path}: {exc}") from exc
    names = [
        name
        for name, rules in policy.detectors.items()
        if name in DETECTOR_NAMES and (rules.input.active or rules.output.active)
    ]
    engine = GuardEngine(build_detectors(names, models_dir), policy)
    return run_traffic(engine, items)


GUARD_COMMANDS = (scan_command, eval_command)


@click.group("guard")
def cli() -> None:
    """The guard's commands on their own (normally: trueport scan / trueport eval)."""


for _command in GUARD_COMMANDS:
    cli.add_command(_command)


if __name__ == "__main__":
    cli(sys.argv[1:])
