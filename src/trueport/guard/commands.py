"""``trueport scan`` and ``trueport eval``: the guard's detectors from the command line.

``scan`` reads JSON Lines on stdin and writes each object back with a ``findings`` list: what the
default thresholds count as violations. Detectors are built once, before the first line. A malformed
line (not a JSON object, or no string ``text``) is reported on stderr with its line number and
skipped; the others are still scanned and written, and the exit status is 1 at the end. The output
thus has one line per *valid* input line: carry an id field through if lines must be matched up.
Blank lines are skipped silently. Output is block-buffered unless ``--line-buffered``.

``eval`` scores one detector on labelled JSON Lines (``trueport.guard.evaluation``) and prints
``key<TAB>value`` lines (or one JSON object with ``--format json``).

Both are registered on the main ``trueport`` group; ``python -m trueport.guard.commands`` runs them
on their own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import click

from trueport.guard.base import Detector, Direction, ScanContext, Source
from trueport.guard.registry import DETECTOR_NAMES, DetectorLoadError, default_detectors, parse_detector_names
from trueport.settings import CONFIG_PATH_ENV

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
@click.option("--detector", "detector_name", required=True, type=click.Choice(DETECTOR_NAMES))
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON Lines: {"text", "label" (1 = violation), optional "spans": [[start, end, type], ...]}.',
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
    detector_name: str,
    data: Path,
    threshold: float | None,
    models_dir: Path | None,
    direction: str,
    output_format: str,
) -> None:
    """Measure a detector on labelled data: precision, recall, F1, F2, FPR and latency.

    Prints "key<TAB>value" lines in a fixed order (see trueport.guard.evaluation).
    """
    from trueport.guard.evaluation import DataError, evaluate, format_report, load_labelled
    from trueport.jsonutil import dumps

    try:
        items = load_labelled(data)
    except DataError as exc:
        raise click.ClickException(f"{data}: {exc}") from exc
    (detector,) = build_detectors([detector_name], models_dir)
    report = evaluate(detector, items, threshold=threshold, context=_context(direction))
    if output_format == "json":
        click.echo(dumps(report.as_dict()).decode())
    else:
        click.echo(format_report(report), nl=False)


GUARD_COMMANDS = (scan_command, eval_command)


@click.group("guard")
def cli() -> None:
    """The guard's commands on their own (normally: trueport scan / trueport eval)."""


for _command in GUARD_COMMANDS:
    cli.add_command(_command)


if __name__ == "__main__":
    cli(sys.argv[1:])
