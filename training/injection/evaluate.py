"""Evaluate the shipped injection model on held-out data and measure its latency.

    uv run python -m training.injection.evaluate [--datasets ...] [--out eval/injection/results.json]

Held-out data only: the ``report`` half of dev.jsonl (the ``calib`` half chose the threshold), our
held-out benign prompts, attacks, documents and instructions (``data/heldout_*``, never trained
on), held-out BIPIA contexts with held-out BIPIA instructions, and held-out GPTFuzz templates.
Everything goes through ``InjectionDetector`` exactly as the gateway calls it (local ONNX Runtime,
one thread). Latency is measured pinned to one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import orjson
from training.injection.corpus import (
    DEFAULT_DATASETS,
    dev_split,
    heldout_documents,
    heldout_jailbreaks,
    read_documents,
    read_lines,
)

from trueport.guard.base import ScanContext, Source
from trueport.guard.injection import InjectionDetector

REPO = Path(__file__).resolve().parents[2]
PROMPT = ScanContext(source=Source.PROMPT)
DOCUMENT = ScanContext(source=Source.DOCUMENT)


def flagged(detector: InjectionDetector, text: str, context: ScanContext) -> bool:
    return any(f.score >= detector.default_threshold for f in detector.scan(text, context))


def rate(hits: list[bool]) -> float:
    return round(sum(hits) / len(hits), 4) if hits else float("nan")


def binary_report(labels: list[int], predicted: list[bool]) -> dict[str, float]:
    pos = [p for p, y in zip(predicted, labels, strict=True) if y == 1]
    neg = [p for p, y in zip(predicted, labels, strict=True) if y == 0]
    tpr, fpr = rate(pos), rate(neg)
    return {
        "n": len(labels),
        "positives": len(pos),
        "recall": tpr,
        "false_positive_rate": fpr,
        "balanced_accuracy": round((tpr + 1 - fpr) / 2, 4),
    }


def latency(
    detector: InjectionDetector, texts: list[str], context: ScanContext, rounds: int
) -> dict[str, float]:
    for text in texts[:20]:
        detector.scan(text, context)  # warm-up
    samples = []
    for i in range(rounds):
        text = texts[i % len(texts)]
        started = time.perf_counter()
        detector.scan(text, context)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[int(0.95 * len(samples)) - 1], 3),
        "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
    }


def one_kb_texts(sources: list[str]) -> list[str]:
    """1,024-character texts cut from longer benign text."""
    joined = "\n\n".join(sources)
    return [joined[i : i + 1024] for i in range(0, len(joined) - 1024, 700)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "injection" / "results.json")
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    detector = InjectionDetector()
    results: dict[str, object] = {}

    _, report = dev_split(args.datasets)
    predicted = [flagged(detector, e.text, PROMPT) for e in report]
    labels = [e.label for e in report]
    results["dev_report"] = binary_report(labels, predicted)
    by_source: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for e, p in zip(report, predicted, strict=True):
        by_source[e.group.removeprefix("dev:").split("/")[0]].append((e.label, p))
    results["dev_report_by_source"] = {
        s: binary_report([y for y, _ in rows], [p for _, p in rows]) for s, rows in sorted(by_source.items())
    }

    benign = read_lines("heldout_benign.txt")
    results["heldout_benign_prompts"] = {
        "n": len(benign),
        "false_positive_rate": rate([flagged(detector, t, PROMPT) for t in benign]),
    }
    attacks = read_lines("heldout_attacks.txt")
    results["heldout_attacks"] = {
        "n": len(attacks),
        "recall": rate([flagged(detector, t, PROMPT) for t in attacks]),
    }
    jailbreaks = heldout_jailbreaks(args.datasets)
    results["heldout_gptfuzz_jailbreaks"] = {
        "n": len(jailbreaks),
        "recall": rate([flagged(detector, t, PROMPT) for t in jailbreaks]),
    }

    docs = heldout_documents(args.datasets)
    doc_rows: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    located: list[bool] = []
    as_prompt: list[tuple[int, bool]] = []
    for doc in docs:
        findings = [f for f in detector.scan(doc.text, DOCUMENT) if f.score >= detector.default_threshold]
        doc_rows[doc.group].append((doc.label, bool(findings)))
        as_prompt.append((doc.label, flagged(detector, doc.text, PROMPT)))
        if doc.label == 1 and findings and doc.span is not None:
            f = findings[0]
            located.append(f.start is None or (f.start < doc.span[1] and doc.span[0] < (f.end or 0)))
    results["heldout_documents_windowed"] = {
        g: binary_report([y for y, _ in rows], [p for _, p in rows]) for g, rows in sorted(doc_rows.items())
    }
    results["heldout_documents_whole_text_only"] = binary_report(
        [y for y, _ in as_prompt], [p for _, p in as_prompt]
    )
    results["heldout_documents_span_hits_instruction"] = rate(located)

    texts = one_kb_texts(
        read_documents("heldout_documents.txt") + read_documents("benign_documents.txt") + benign
    )
    # The machine is shared: each latency is the quietest of three runs, with the load average.
    for name, sample, context in (
        ("latency_1kb_prompt", texts, PROMPT),
        ("latency_1kb_document", texts, DOCUMENT),
        ("latency_short_prompt", benign[:100], PROMPT),
    ):
        runs = [latency(detector, sample, context, args.rounds) for _ in range(3)]
        results[name] = min(runs, key=lambda r: r["p50_ms"])
    results["load_average_1min"] = round(os.getloadavg()[0], 2)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
