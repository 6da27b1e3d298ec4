"""``trueport scan`` and ``trueport eval``: CliRunner on the command objects, and real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from trueport.guard.bias import BiasDetector
from trueport.guard.commands import GUARD_COMMANDS, eval_command, scan_command

HELDOUT = Path(__file__).resolve().parents[2] / "eval" / "bias" / "heldout.jsonl"
BIASED = "Women are too emotional to lead."


def lines(*rows: object) -> bytes:
    return b"".join(r if isinstance(r, bytes) else orjson.dumps(r) + b"\n" for r in rows)


def run_scan(stdin: bytes, *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(scan_command, ["--detectors", "bias", *args], input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    out = [orjson.loads(line) for line in result.stdout_bytes.splitlines()]
    return result.exit_code, out, result.stderr


def test_scan_adds_findings_and_keeps_the_rest() -> None:
    code, out, stderr = run_scan(
        lines(
            {"id": 1, "text": BIASED, "meta": {"b": 2, "a": [1]}},
            {"text": "The weather is nice.", "zz": None, "id": 2},
        )
    )
    assert code == 0, stderr
    assert stderr == ""
    findings = out[0].pop("findings")
    assert out[0] == {"id": 1, "text": BIASED, "meta": {"b": 2, "a": [1]}}
    assert isinstance(findings, list)
    (finding,) = findings
    assert finding == {
        "detector": "bias",
        "type": "stereotype",
        "start": 0,
        "end": len(BIASED),
        "score": finding["score"],
    }
    assert list(out[1]) == ["text", "zz", "id", "findings"]  # key order kept
    assert out[1]["findings"] == []


def test_finding_fields_and_types() -> None:
    _, out, _ = run_scan(lines({"text": "Nice day. Refugees are vermin. Kill all the Jews."}))
    findings = out[0]["findings"]
    assert isinstance(findings, list)
    assert [f["type"] for f in findings] == ["slur_or_dehumanisation", "incitement"]
    for finding in findings:
        assert set(finding) == {"detector", "type", "start", "end", "score"}
        assert isinstance(finding["start"], int)
        assert isinstance(finding["end"], int)
        assert 0.0 <= finding["score"] <= 1.0
        assert finding["score"] >= BiasDetector.default_threshold


def test_malformed_lines_are_reported_skipped_and_fail_the_run() -> None:
    code, out, stderr = run_scan(
        lines(
            {"id": 1, "text": BIASED},
            b"{not json\n",
            b"\n",
            b"[1, 2]\n",
            {"id": 5, "text": 42},
            {"id": 6},
            {"id": 7, "text": "fine"},
        )
    )
    assert code == 1
    assert [row["id"] for row in out] == [1, 7]
    errors = stderr.splitlines()
    assert errors[0].startswith("trueport scan: line 2: not a JSON object")
    assert errors[1].startswith("trueport scan: line 4: not a JSON object")
    assert errors[2] == "trueport scan: line 5: missing string field 'text'"
    assert errors[3] == "trueport scan: line 6: missing string field 'text'"
    assert errors[4] == "trueport scan: 4 malformed line(s) skipped, 2 scanned"


def test_invalid_utf8_is_a_malformed_line() -> None:
    code, out, stderr = run_scan(b'{"text": "\xff\xfe"}\n' + lines({"text": "ok"}))
    assert code == 1
    assert len(out) == 1
    assert "line 1: not a JSON object" in stderr


def test_unicode_passes_through() -> None:
    code, out, _ = run_scan(lines({"text": "Les immigrés sont bienvenus 🙂", "note": "naïve"}))
    assert code == 0
    assert out[0]["text"] == "Les immigrés sont bienvenus 🙂"
    assert out[0]["note"] == "naïve"


def test_thousands_of_lines_build_detectors_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    original = BiasDetector.__init__

    def counting_init(self: BiasDetector, *args: object, **kwargs: object) -> None:
        built.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(BiasDetector, "__init__", counting_init)
    texts = [BIASED, "The weather is nice.", "Muslims celebrate Eid.", "Refactor the retry loop."]
    stdin = lines(*({"n": i, "text": texts[i % 4]} for i in range(3000)))
    code, out, _ = run_scan(stdin)
    assert code == 0
    assert len(out) == 3000
    assert [row["n"] for row in out] == list(range(3000))
    assert sum(1 for row in out if row["findings"]) == 750
    assert len(built) == 1


def test_options(tmp_path: Path) -> None:
    config = tmp_path / "trueport.yaml"
    config.write_text("log_level: info\n", encoding="utf-8")
    code, out, stderr = run_scan(
        lines({"text": BIASED}),
        "--config",
        str(config),
        "--line-buffered",
        "--stats",
        "--direction",
        "output",
    )
    assert code == 0
    assert out[0]["findings"]
    assert stderr.startswith("trueport scan: bias calls=1 ")
    assert "scanned" not in stderr.replace("scanned\n", "")  # no progress when stderr is not a terminal


def test_bad_detector_names_are_usage_errors() -> None:
    result = CliRunner().invoke(scan_command, ["--detectors", "bias,toxicity"], input=b"")
    assert result.exit_code == 2
    assert "unknown detector 'toxicity'; choose from pii, secrets, injection, bias" in result.stderr


def test_empty_input() -> None:
    assert run_scan(b"") == (0, [], "")


def parse(stdout: str) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in stdout.splitlines())


def test_eval_prints_stable_key_values() -> None:
    result = CliRunner().invoke(eval_command, ["--detector", "bias", "--data", str(HELDOUT)])
    assert result.exit_code == 0, result.output
    figures = parse(result.stdout)
    assert list(figures)[:5] == ["detector", "threshold", "items", "positives", "negatives"]
    assert figures["detector"] == "bias"
    assert float(figures["threshold"]) == BiasDetector.default_threshold
    assert int(figures["items"]) == int(figures["positives"]) + int(figures["negatives"])
    assert float(figures["precision"]) >= 0.95
    for key in ("recall", "f1", "f2", "fpr", "latency_ms_p50", "latency_ms_p95", "latency_ms_per_kb_p95"):
        assert float(figures[key]) >= 0.0


def test_eval_threshold_and_json(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_bytes(lines({"text": BIASED, "label": 1}, {"text": "Muslims live in Paris.", "label": 0}))
    result = CliRunner().invoke(
        eval_command, ["--detector", "bias", "--data", str(data), "--threshold", "0.999", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["threshold"] == 0.999
    assert (report["tp"], report["fn"], report["tn"]) == (0, 1, 1)


def test_eval_refuses_malformed_data(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_bytes(lines({"text": BIASED, "label": 1}, {"text": "x"}))
    result = CliRunner().invoke(eval_command, ["--detector", "bias", "--data", str(data)])
    assert result.exit_code == 1
    assert "line 2: 'label' must be 0 or 1, got None" in result.stderr
    missing = CliRunner().invoke(eval_command, ["--detector", "bias", "--data", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2


def test_eval_unknown_detector() -> None:
    result = CliRunner().invoke(eval_command, ["--detector", "toxicity", "--data", str(HELDOUT)])
    assert result.exit_code == 2


# --- as a user runs them ----------------------------------------------------------------------


def entry_points() -> list[list[str]]:
    from trueport.cli import main

    points = [[sys.executable, "-m", "trueport.guard.commands"]]
    if all(c.name in main.commands for c in GUARD_COMMANDS):
        points.append([sys.executable, "-m", "trueport"])
    return points


@pytest.mark.parametrize("command", entry_points(), ids=lambda c: " ".join(c[1:]))
def test_scan_and_eval_in_a_process(command: list[str], tmp_path: Path) -> None:
    stdin = lines({"id": "a", "text": BIASED}, b"oops\n", {"id": "b", "text": "Hello."})
    scan = subprocess.run(
        [*command, "scan", "--detectors", "bias"], input=stdin, capture_output=True, timeout=120, check=False
    )
    assert scan.returncode == 1
    out = [orjson.loads(line) for line in scan.stdout.splitlines()]
    assert [row["id"] for row in out] == ["a", "b"]
    assert out[0]["findings"][0]["type"] == "stereotype"
    assert b"line 2: not a JSON object" in scan.stderr

    evaluation = subprocess.run(
        [*command, "eval", "--detector", "bias", "--data", str(HELDOUT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert parse(evaluation.stdout)["items"] == str(len(HELDOUT.read_text(encoding="utf-8").splitlines()))


def test_progress_only_on_a_terminal() -> None:
    leader, follower = os.openpty()
    try:
        scan = subprocess.run(
            [sys.executable, "-m", "trueport.guard.commands", "scan", "--detectors", "bias"],
            input=lines(*({"text": "hi"} for _ in range(10))),
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
            check=True,
        )
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO once the terminal's other end is closed
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert len(scan.stdout.splitlines()) == 10
    assert b"scanned 10 lines" in seen
