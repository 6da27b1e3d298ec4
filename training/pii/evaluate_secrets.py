"""Evaluate ``SecretsDetector`` on the held-out set: recall per family, false positives on look-alikes.

    uv run python training/pii/secrets_samples.py      # (re)writes eval/secrets/*.jsonl
    uv run python training/pii/evaluate_secrets.py     # eval/secrets/heldout.jsonl
    uv run python training/pii/evaluate_secrets.py --set dev --errors 30

A text is flagged when it gets at least one finding scoring ``--threshold`` or more (default:
``SecretsDetector.default_threshold``). Reported: recall over texts with a secret (overall, per
source, and the families missed), the false-positive rate over texts without one (the project's
look-alikes; gitleaks' negatives; detect-secrets' fixtures), precision, F1, F2, and latency per KB
(the texts concatenated into ~1 KB documents, scanned one at a time on this thread).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

import orjson

from trueport.guard.base import ScanContext
from trueport.guard.secrets import SecretsDetector

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval-dir", type=Path, default=ROOT / "eval" / "secrets")
    parser.add_argument("--set", default="heldout", choices=["heldout", "dev"])
    parser.add_argument("--threshold", type=float, default=SecretsDetector.default_threshold)
    parser.add_argument("--errors", type=int, default=0, help="print this many mistaken texts")
    args = parser.parse_args()
    with (args.eval_dir / f"{args.set}.jsonl").open("rb") as f:
        rows = [orjson.loads(line) for line in f]
    detector = SecretsDetector()
    context = ScanContext()
    total: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    missed_families: Counter[str] = Counter()
    flagged_types: Counter[str] = Counter()
    shown = 0
    for row in rows:
        findings = [f for f in detector.scan(row["text"], context) if f.score >= args.threshold]
        flagged = bool(findings)
        key = ("pos:" if row["label"] else "neg:") + row["source"]
        total[key] += 1
        hits[key] += flagged
        if row["label"] and not flagged:
            missed_families[row["family"]] += 1
        if not row["label"]:
            flagged_types.update(f.type for f in findings)
        if args.errors and shown < args.errors and flagged != bool(row["label"]):
            shown += 1
            found = [(f.type, row["text"][f.start : f.end][:50]) for f in findings]
            print(
                f"--- label {row['label']} {row['source']}/{row['family']}: {row['text'][:160]!r}\n    {found}"
            )
    positives = sum(v for k, v in total.items() if k.startswith("pos:"))
    tp = sum(v for k, v in hits.items() if k.startswith("pos:"))
    negatives = sum(v for k, v in total.items() if k.startswith("neg:"))
    fp = sum(v for k, v in hits.items() if k.startswith("neg:"))
    recall = tp / max(1, positives)
    precision = tp / max(1, tp + fp)

    def f_beta(beta: float) -> float:
        return (1 + beta**2) * precision * recall / max(1e-9, beta**2 * precision + recall)

    print(f"\n== secrets, {args.set} set, threshold {args.threshold}")
    for key in sorted(total):
        rate = hits[key] / total[key]
        label = "recall" if key.startswith("pos:") else "FPR"
        print(f"{key:<28}{total[key]:>6} texts   {label} {rate:.3f}")
    print(
        f"{'ALL':<28}recall {recall:.3f}   precision {precision:.3f}   F1 {f_beta(1):.3f}   F2 {f_beta(2):.3f}"
    )
    print(f"FPR on look-alikes: {hits['neg:lookalike'] / max(1, total['neg:lookalike']):.3f}   "
          f"FPR on all negatives: {fp / max(1, negatives):.3f}")  # fmt: skip
    if missed_families:
        print("missed families:", dict(missed_families.most_common()))
    if flagged_types:
        print("types flagged on negatives:", dict(flagged_types.most_common()))
    documents: list[str] = []
    current = ""
    for row in rows:
        current += row["text"] + "\n"
        while len(current) >= 1024:
            documents.append(current[:1024])
            current = current[1024:]
    for document in documents[:20]:
        detector.scan(document, context)
    timings = []
    for document in documents:
        started = time.perf_counter()
        detector.scan(document, context)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"latency per 1 KB ({len(documents)} documents, one thread): p50 {statistics.median(timings):.3f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.3f} ms"
    )


if __name__ == "__main__":
    main()
