"""What the PII name/address tagger costs per text, and whether a change kept its outputs.

    uv run python bench/pii_tagger.py                              # time it
    uv run python bench/pii_tagger.py --save /tmp/pii-before.npz   # time it and keep its outputs
    uv run python bench/pii_tagger.py --check /tmp/pii-before.npz  # time it and compare with them

One process pinned to one CPU core (``--cpu``), the shipped model on local ONNX Runtime with one
thread, as the gateway runs it. The texts: every row of ``../shared/datasets/benign`` (system
prompts, role play, code, word problems) and every message of ``eval/traffic/benign.jsonl``, each
scanned as the PII detector scans it (``NameAddressTagger.tag`` on the folded text), in a fixed
shuffled order; ``--limit`` takes the first N of them.

Passes over all the texts, one after the other, in one tagger:

- ``cold``: the first pass, with the tagger's per-word cache empty (every word is new once);
- ``warm``: the passes after it (``--rounds``), the words seen: a serving process in its stride.

Each prints p50/p95 µs per text and p50/p95/aggregate µs per KB (UTF-8). ``--save`` writes, per
text, the tagger's findings, a digest of its feature ids and its per-token probabilities;
``--check`` compares a run with such a file: findings and feature ids identical, probabilities
within float32 rounding. It exits 1 when they differ. A fresh tagger with the per-word cache off
is also compared with the cached one on a sample of texts (``--uncached``, default 500).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trueport.guard import pii_features as pf
from trueport.guard.pii_folding import fold
from trueport.guard.pii_ner import NameAddressTagger
from trueport.guard.pii_patterns import Match

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets" / "benign"
TRAFFIC = ROOT / "eval" / "traffic" / "benign.jsonl"
MAX_MODEL_CHARS = 200_000  # as trueport.guard.pii

Outputs = tuple[list[list[tuple[str, int, int, float]]], list[str], list[np.ndarray[Any, Any]]]


def load_texts(datasets: Path, traffic: Path) -> list[str]:
    texts: list[str] = []
    for path in sorted(datasets.glob("*.jsonl")):
        with path.open(encoding="utf-8") as rows:
            texts.extend(str(json.loads(line)["text"]) for line in rows if line.strip())
    with traffic.open(encoding="utf-8") as rows:
        for line in rows:
            if line.strip():
                texts.extend(_message_texts(json.loads(line)["request"]))
    texts = [fold(t).text[:MAX_MODEL_CHARS] for t in texts if t.strip()]
    random.Random(11).shuffle(texts)
    return texts


def _message_texts(request: dict[str, Any]) -> Iterator[str]:
    for message in request.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            yield from (str(p["text"]) for p in content if isinstance(p, dict) and "text" in p)


def pin(cpu: int) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this platform)"
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def timed_pass(tagger: NameAddressTagger, texts: Sequence[str]) -> list[float]:
    """Seconds per text."""
    out = []
    clock = time.perf_counter
    for text in texts:
        started = clock()
        tagger.tag(text)
        out.append(clock() - started)
    return out


def report(label: str, seconds: Sequence[float], sizes: Sequence[int]) -> dict[str, float]:
    us = [s * 1e6 for s in seconds]
    per_kb = [u / (b / 1024) for u, b in zip(us, sizes, strict=True)]
    figures = {
        "p50_us_per_text": _percentile(us, 50),
        "p95_us_per_text": _percentile(us, 95),
        "mean_us_per_text": statistics.fmean(us),
        "p50_us_per_kb": _percentile(per_kb, 50),
        "p95_us_per_kb": _percentile(per_kb, 95),
        "total_us_per_kb": sum(us) / (sum(sizes) / 1024),
    }
    print(
        f"{label:<6} p50 {figures['p50_us_per_text']:8.1f} µs/text  p95 {figures['p95_us_per_text']:8.1f} µs/text"
        f"  mean {figures['mean_us_per_text']:8.1f}  |  p50 {figures['p50_us_per_kb']:7.1f} µs/KB"
        f"  p95 {figures['p95_us_per_kb']:7.1f} µs/KB  all {figures['total_us_per_kb']:7.1f} µs/KB"
        f"  ({sum(seconds):.2f} s)"
    )
    return figures


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def outputs(tagger: NameAddressTagger, texts: Sequence[str]) -> Outputs:
    findings, digests, probabilities = [], [], []
    featurizer = tagger._featurizer
    for text in texts:
        tokens = pf.tokenize(text)
        ids = featurizer.featurize(text, tokens)
        digests.append(hashlib.sha256(np.ascontiguousarray(ids, dtype=np.int64).tobytes()).hexdigest())
        probabilities.append(tagger.probabilities(text, tokens))
        findings.append([_row(m) for m in tagger.tag(text)])
    return findings, digests, probabilities


def _row(match: Match) -> tuple[str, int, int, float]:
    return (match.type, match.start, match.end, float(match.score))


def save(path: Path, result: Outputs) -> None:
    findings, digests, probabilities = result
    sizes = np.array([len(p) for p in probabilities], dtype=np.int64)
    joined = np.concatenate(probabilities) if probabilities else np.zeros((0, len(pf.LABELS)), np.float32)
    np.savez_compressed(
        path, findings=np.array(json.dumps(findings)), digests=np.array(digests), sizes=sizes, probs=joined
    )


def compare(path: Path, result: Outputs) -> list[str]:
    """Differences between a saved run and this one (empty when equivalent)."""
    findings, digests, probabilities = result
    saved = np.load(path)
    theirs_findings = json.loads(str(saved["findings"]))
    theirs_digests = [str(d) for d in saved["digests"]]
    theirs_probs = np.split(saved["probs"], np.cumsum(saved["sizes"])[:-1])
    if len(theirs_digests) != len(digests):
        return [f"{path}: {len(theirs_digests)} texts, this run {len(digests)} (same --limit?)"]
    problems = []
    for i in range(len(digests)):
        ours_findings = [list(f) for f in findings[i]]
        if not _same_findings(theirs_findings[i], ours_findings):
            problems.append(f"text {i}: findings {theirs_findings[i]} -> {ours_findings}")
        if theirs_digests[i] != digests[i]:
            problems.append(f"text {i}: feature ids differ")
        if theirs_probs[i].shape != probabilities[i].shape or not np.allclose(
            theirs_probs[i], probabilities[i], rtol=1e-5, atol=1e-6
        ):
            problems.append(f"text {i}: probabilities differ")
    return problems


def _same_findings(a: list[list[Any]], b: list[list[Any]]) -> bool:
    return len(a) == len(b) and all(
        x[:3] == y[:3] and abs(float(x[3]) - float(y[3])) <= 1e-5 for x, y in zip(a, b, strict=True)
    )


def uncached_differences(tagger: NameAddressTagger, texts: Sequence[str]) -> int:
    """Texts whose feature ids differ between the cached featurizer and one without a cache."""
    cached = tagger._featurizer
    uncached = pf.Featurizer(cached.vocabulary, cached.gazetteer, cache_size=0)
    differ = 0
    for text in texts:
        tokens = pf.tokenize(text)
        if not np.array_equal(cached.featurize(text, tokens), uncached.featurize(text, tokens)):
            differ += 1
    return differ


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2, help="warm passes after the cold one (default 2)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N texts (0 = all)")
    parser.add_argument("--cpu", type=int, default=0, help="CPU core to pin to (default 0)")
    parser.add_argument("--save", type=Path, help="write the outputs here (.npz)")
    parser.add_argument("--check", type=Path, help="compare the outputs with a file written by --save")
    parser.add_argument("--uncached", type=int, default=500, help="texts to compare with the cache off")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)

    print(pin(args.cpu), f"| loadavg {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    texts = load_texts(DATASETS, TRAFFIC)
    if args.limit:
        texts = texts[: args.limit]
    sizes = [len(t.encode("utf-8")) for t in texts]
    print(f"{len(texts)} texts, {sum(sizes) / 1e6:.2f} MB, median {statistics.median(sizes):.0f} bytes")

    tagger = NameAddressTagger()
    figures = {"cold": report("cold", timed_pass(tagger, texts), sizes)}
    warm: list[float] = []
    for _ in range(args.rounds):
        warm = (
            [min(a, b) for a, b in zip(warm, timed_pass(tagger, texts), strict=True)]
            if warm
            else timed_pass(tagger, texts)
        )
    if args.rounds:
        figures["warm"] = report(
            "warm", warm, sizes
        )  # each text's best warm pass: less of the machine's noise

    status = 0
    if args.uncached:
        differ = uncached_differences(tagger, texts[: args.uncached])
        print(f"cached vs uncached features: {differ} of {min(args.uncached, len(texts))} texts differ")
        status |= differ > 0
    if args.save or args.check:
        result = outputs(NameAddressTagger(), texts)
        if args.save:
            save(args.save, result)
            print(f"outputs of {len(texts)} texts written to {args.save}")
        if args.check:
            problems = compare(args.check, result)
            for problem in problems[:20]:
                print("DIFFERENT:", problem)
            print(
                f"outputs vs {args.check}: {'identical' if not problems else f'{len(problems)} differences'}"
            )
            status |= bool(problems)
    if args.json:
        print(json.dumps(figures, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
