"""Evaluate ``PiiDetector`` on the held-out sets: entity-level precision, recall, F1/F2, FPR, latency.

    uv run python training/pii/evaluate.py                  # eval/pii/heldout.jsonl + structured.jsonl
    uv run python training/pii/evaluate.py --threshold 0.4 --errors 20

Matching is entity-level and exact: a prediction counts when type, start and end equal a labelled
span (``--overlap`` also reports a lenient variant: same type and overlapping spans). Predictions are
findings scoring at least ``--threshold`` (default: ``PiiDetector.default_threshold``).

- ``heldout.jsonl``: sentences rendered by ``render.py`` from the held-out templates, names and
  streets, plus held-out negative sentences and benign prompts (no entities);
- ``structured.jsonl``: checksum-valid cards, IBANs and SSNs (labelled) and checksum-invalid
  look-alikes (unlabelled): "recall on checksum-valid structured types" is measured here and on the
  held-out set's card/IBAN/SSN spans;
- ``contexts.jsonl``: the other structured types (e-mail, phone, IP and MAC addresses, dates of
  birth, passports, driver's licences) in short carriers with their context words, and digit
  look-alikes without any (versions, dates, order numbers, hashes).

FPR: the share of texts without any labelled entity that get at least one finding. Latency: the
texts are concatenated into ~1 KB documents and scanned one at a time on this thread (p50/p95 per
KB, after a warm-up).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

import orjson

from trueport.guard.base import ScanContext
from trueport.guard.pii import PiiDetector

ROOT = Path(__file__).resolve().parents[2]
CHECKSUM_TYPES = ("credit_card", "iban", "us_ssn")


def load(path: Path) -> list[dict[str, object]]:
    with path.open("rb") as f:
        return [orjson.loads(line) for line in f]


def f_beta(precision: float, recall: float, beta: float) -> float:
    if precision == 0 or recall == 0:
        return 0.0
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def evaluate(
    detector: PiiDetector, rows: list[dict[str, object]], threshold: float, errors: int
) -> dict[str, object]:
    context = ScanContext()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    lenient_tp: Counter[str] = Counter()
    lenient_fp: Counter[str] = Counter()
    negatives = negative_hits = 0
    shown = 0
    for row in rows:
        text = str(row["text"])
        gold = {(int(s), int(e), str(t)) for s, e, t in row["spans"]}  # type: ignore[attr-defined]
        found = {
            (f.start or 0, f.end or 0, f.type) for f in detector.scan(text, context) if f.score >= threshold
        }
        for span in found & gold:
            tp[span[2]] += 1
        for span in found - gold:
            fp[span[2]] += 1
        for span in gold - found:
            fn[span[2]] += 1
        for s, e, t in found:
            if any(t == gt and s < ge and gs < e for gs, ge, gt in gold):
                lenient_tp[t] += 1
            else:
                lenient_fp[t] += 1
        if not gold:
            negatives += 1
            negative_hits += bool(found)
        if errors and shown < errors and found != gold:
            shown += 1
            print(f"--- {text[:240]!r}")
            for s, e, t in sorted(gold - found):
                print(f"    missed {t}: {text[s:e]!r}")
            for s, e, t in sorted(found - gold):
                print(f"    extra  {t}: {text[s:e]!r}")
    types = sorted(set(tp) | set(fp) | set(fn))
    report: dict[str, object] = {"types": {}}
    for t in types:
        precision = tp[t] / max(1, tp[t] + fp[t])
        recall = tp[t] / max(1, tp[t] + fn[t])
        report["types"][t] = {  # type: ignore[index]
            "support": tp[t] + fn[t], "tp": tp[t], "fp": fp[t], "fn": fn[t],
            "precision": precision, "recall": recall, "f2": f_beta(precision, recall, 2),
        }  # fmt: skip
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    precision = all_tp / max(1, all_tp + all_fp)
    recall = all_tp / max(1, all_tp + all_fn)
    lenient_precision = sum(lenient_tp.values()) / max(1, sum(lenient_tp.values()) + sum(lenient_fp.values()))
    report.update(
        precision=precision,
        recall=recall,
        f1=f_beta(precision, recall, 1),
        f2=f_beta(precision, recall, 2),
        lenient_precision=lenient_precision,
        negatives=negatives,
        fpr=negative_hits / max(1, negatives),
    )
    checksum_tp = sum(tp[t] for t in CHECKSUM_TYPES)
    checksum_support = sum(tp[t] + fn[t] for t in CHECKSUM_TYPES)
    report["checksum_recall"] = checksum_tp / max(1, checksum_support)
    report["checksum_support"] = checksum_support
    return report


def latency(
    detector: PiiDetector, rows: list[dict[str, object]], size: int = 1024
) -> tuple[float, float, int]:
    documents: list[str] = []
    current = ""
    for row in rows:
        current += str(row["text"]) + "\n"
        if len(current) >= size:
            documents.append(current[:size])
            current = ""
    context = ScanContext()
    for document in documents[:20]:
        detector.scan(document, context)
    timings = []
    for document in documents:
        started = time.perf_counter()
        detector.scan(document, context)
        timings.append((time.perf_counter() - started) * 1000 * 1024 / len(document))
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95)], len(documents)


def print_report(name: str, report: dict[str, object]) -> None:
    print(f"\n== {name}")
    print(f"{'type':<20}{'support':>8}{'tp':>7}{'fp':>7}{'fn':>7}{'prec':>8}{'recall':>8}{'F2':>8}")
    for t, m in report["types"].items():  # type: ignore[attr-defined]
        print(
            f"{t:<20}{m['support']:>8}{m['tp']:>7}{m['fp']:>7}{m['fn']:>7}"
            f"{m['precision']:>8.3f}{m['recall']:>8.3f}{m['f2']:>8.3f}"
        )
    print(
        f"{'ALL (micro)':<20}{'':>29}{report['precision']:>8.3f}{report['recall']:>8.3f}{report['f2']:>8.3f}"
        f"   F1 {report['f1']:.3f}   lenient precision {report['lenient_precision']:.3f}"
    )
    print(
        f"checksum-valid cards/IBANs/SSNs: recall {report['checksum_recall']:.4f} (n={report['checksum_support']})"
    )
    print(f"FPR on texts without entities: {report['fpr']:.3f} (n={report['negatives']})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval-dir", type=Path, default=ROOT / "eval" / "pii")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--threshold", type=float, default=PiiDetector.default_threshold)
    parser.add_argument("--errors", type=int, default=0, help="print this many mistaken texts per set")
    args = parser.parse_args()
    detector = PiiDetector(args.models_dir)
    for name in ("heldout.jsonl", "structured.jsonl", "contexts.jsonl"):
        rows = load(args.eval_dir / name)
        print_report(name, evaluate(detector, rows, args.threshold, args.errors))
    rows = load(args.eval_dir / "heldout.jsonl")
    p50, p95, count = latency(detector, rows)
    print(f"\nlatency per 1 KB ({count} documents, one thread): p50 {p50:.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
