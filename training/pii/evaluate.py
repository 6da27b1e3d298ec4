"""Evaluate ``PiiDetector`` on the held-out sets: entity-level precision, recall, F1/F2, FPR, latency.

    uv run python training/pii/evaluate.py                  # all sets below, then latency
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

- prose (``prose.py``): the held-out frames of ``prose_frames.py`` (news, sport, business, stories,
  e-mails, chat; written apart from the training frames, filled with held-out names that are not
  in the gazetteer, and organisations, places -- some in no list -- nationalities and religions),
  and ``eval/pii/prose_handwritten.txt`` (sentences written out in full, never trained on): share of
  labelled persons found (exact span, and overlapping) and share of sentences with a false person
  or address (a finding overlapping no labelled span of its type);
- texts without personal data: ``eval/pii/no_pii_handwritten.txt`` (configs, code, recipes,
  measurement lists, maths, headlines), the benign rows RESERVED for the traffic benchmark
  (``f >= 0.8``, never trained on) of ``code``, ``system_prompts``, ``word_problems`` and
  ``roleplay``, and the held-out prose negatives: share of texts with any person/address finding.

FPR: the share of texts without any labelled entity that get at least one finding. Latency: the
texts are concatenated into ~1 KB documents and scanned one at a time on this thread (p50/p95 per
KB, after a warm-up).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

from trueport.guard.base import Finding, ScanContext, Source
from trueport.guard.pii import PiiDetector
from trueport.guard.pii_ner import latest_version

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prose
import render
from gazetteer import NAME_CLASSES
from gazetteer import build as build_gazetteer

ROOT = Path(__file__).resolve().parents[2]
MODEL_TYPES = ("person", "street_address")
VOCABULARY = latest_version(ROOT / "src" / "trueport" / "models" / "pii_ner") / "vocab.txt"
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


def prose_report(detector: PiiDetector, rows: list[render.Example], threshold: float, errors: int) -> None:
    """Person recall (exact span, and overlapping), address recall, and the share of sentences with a
    false person or address: a finding of that type overlapping no labelled span of its type."""
    found_exact = found_overlap = total = 0
    addr_found = addr_total = 0
    false_texts = 0
    false_by_type: Counter[str] = Counter()
    shown = 0
    for row in rows:
        findings = [
            f
            for f in detector.scan(row.text, ScanContext())
            if f.type in MODEL_TYPES and f.score >= threshold
        ]
        gold = [(s, e, t) for s, e, t in row.spans if t in MODEL_TYPES]
        spans = {(f.start, f.end, f.type) for f in findings}
        for s, e, t in gold:
            overlap = any(ft == t and (fs or 0) < e and s < (fe or 0) for fs, fe, ft in spans)
            if t == "person":
                total += 1
                found_exact += (s, e, t) in spans
                found_overlap += overlap
            else:
                addr_total += 1
                addr_found += overlap
        false = [
            f
            for f in findings
            if not any(f.type == t and (f.start or 0) < e and s < (f.end or 0) for s, e, t in gold)
        ]
        false_texts += bool(false)
        false_by_type.update(f.type for f in false)
        if errors and shown < errors and (false or any((s, e, t) not in spans for s, e, t in gold)):
            shown += 1
            print(f"--- {row.text[:200]!r}")
            for s, e, t in gold:
                if (s, e, t) not in spans:
                    print(f"    missed {t}: {row.text[s:e]!r}")
            for f in false:
                print(f"    false  {f.type}: {row.text[f.start : f.end]!r}")
    print(
        f"persons found: {found_exact / max(1, total):.3f} exact span, {found_overlap / max(1, total):.3f} "
        f"overlapping (n={total}); addresses found (overlapping): {addr_found / max(1, addr_total):.3f} "
        f"(n={addr_total})"
    )
    print(
        f"sentences with a false person/address: {false_texts / max(1, len(rows)):.3f} "
        f"({false_texts} of {len(rows)}; false persons {false_by_type['person']}, "
        f"addresses {false_by_type['street_address']})"
    )


def no_pii_report(
    detector: PiiDetector,
    name: str,
    texts: list[str],
    threshold: float,
    errors: int,
    *,
    names_allowed: bool = False,
) -> None:
    """Share of texts without personal data that get any person or address finding. With
    ``names_allowed`` (word problems, full of fictional people's first names) a person counts as
    false only when it holds a lower-case word or a common word that is not a listed name."""
    gazetteer = build_gazetteer()
    vocabulary = frozenset(VOCABULARY.read_text(encoding="utf-8").split())
    hits = 0
    shown = 0
    for text in texts:
        findings = [
            f
            for f in detector.scan(text, ScanContext(source=Source.USER))
            if f.type in MODEL_TYPES and f.score >= threshold
        ]
        if names_allowed:
            findings = [
                f for f in findings if f.type != "person" or _not_a_name(text, f, vocabulary, gazetteer)
            ]
        hits += bool(findings)
        if findings and shown < errors:
            shown += 1
            print(
                f"    false in {name}: " + ", ".join(f"{f.type} {text[f.start : f.end]!r}" for f in findings)
            )
    print(
        f"{name:<44} texts {len(texts):>5}   with a false person/address: {hits / max(1, len(texts)):.3f} ({hits})"
    )


def _not_a_name(text: str, finding: Finding, vocabulary: frozenset[str], gazetteer: dict[str, str]) -> bool:
    """A lower-case word in it (not a particle: "da Vinci"), or only common words and no listed name."""
    words = [w for w in re.findall(r"[^\W\d_]+", text[finding.start : finding.end]) if len(w) > 1]
    if any(w.islower() and w not in _PARTICLES for w in words):
        return True
    listed = [bool(set(gazetteer.get(w.lower(), "").split("+")) & NAME_CLASSES) for w in words]
    return not any(listed) and all(w.lower() in vocabulary for w in words)


_PARTICLES = frozenset(
    [
        "de",
        "del",
        "della",
        "der",
        "den",
        "di",
        "da",
        "das",
        "dos",
        "du",
        "la",
        "le",
        "van",
        "von",
        "ten",
        "ter",
        "bin",
        "ibn",
        "al",
        "el",
        "y",
        "zu",
    ]
)


def pii_free_sets() -> list[tuple[str, list[str], bool]]:
    reserved = prose.benign_rows("reserved", set())
    handwritten = (ROOT / "eval" / "pii" / "no_pii_handwritten.txt").read_text(encoding="utf-8").splitlines()
    return [
        (
            "handwritten configs/code/recipes/maths/prose",
            [t.replace("\\n", "\n") for t in handwritten if t and not t.startswith("#")],
            False,
        ),
        (
            "reserved benign code.jsonl (f >= 0.8), any finding",
            [t for s, t in reserved if s == "code"],
            False,
        ),
        ("reserved benign code.jsonl (f >= 0.8) *", [t for s, t in reserved if s == "code"], True),
        (
            "reserved benign system_prompts.jsonl (f >= 0.8), any",
            [t for s, t in reserved if s == "system_prompts"],
            False,
        ),
        (
            "reserved benign system_prompts.jsonl (f >= 0.8) *",
            [t for s, t in reserved if s == "system_prompts"],
            True,
        ),
        (
            "reserved benign word_problems.jsonl (f >= 0.8) *",
            [t for s, t in reserved if s == "word_problems"],
            True,
        ),
        ("reserved benign roleplay.jsonl (f >= 0.8) *", [t for s, t in reserved if s == "roleplay"], True),
        (
            "held-out prose negatives (rendered)",
            [e.text for e in prose.prose_examples("eval", 7, 6) if e.source == "prose-negative"],
            False,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval-dir", type=Path, default=ROOT / "eval" / "pii")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "src" / "trueport" / "models")
    parser.add_argument("--threshold", type=float, default=PiiDetector.default_threshold)
    parser.add_argument("--errors", type=int, default=0, help="print this many mistaken texts per set")
    args = parser.parse_args()
    detector = PiiDetector(args.models_dir)
    for name in ("heldout.jsonl", "structured.jsonl", "contexts.jsonl"):
        rows = load(args.eval_dir / name)
        print_report(name, evaluate(detector, rows, args.threshold, args.errors))
    print("\n== prose (held-out frames, rendered, and handwritten sentences)")
    rendered = [e for e in prose.prose_examples("eval", 7, 6) if e.source == "prose"]
    handwritten = prose.handwritten()
    for name, examples in (
        ("rendered held-out frames", rendered),
        ("handwritten", handwritten),
        ("all prose", rendered + handwritten),
    ):
        print(f"-- {name}")
        prose_report(detector, examples, args.threshold, args.errors if name != "all prose" else 0)
    print("\n== texts without personal data (* rows that name people -- fictional ones in word problems,")
    print("   role-play and sample data in code, public figures in system prompts: a person counts as false")
    print("   only when it holds a lower-case word or a common word that is not a listed name)")
    for name, texts, names_allowed in pii_free_sets():
        no_pii_report(detector, name, texts, args.threshold, args.errors, names_allowed=names_allowed)
    rows = load(args.eval_dir / "heldout.jsonl")
    p50, p95, count = latency(detector, rows)
    print(f"\nlatency per 1 KB ({count} documents, one thread): p50 {p50:.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
