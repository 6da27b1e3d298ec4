"""Latency per KB of the PII and secrets detectors, alone and inside the default detector stack.

    uv run python training/pii/latency.py             # pii, secrets, then the whole default stack
    uv run python training/pii/latency.py --only pii secrets

Documents: the held-out PII and secrets texts concatenated and cut into 1,024-character pieces
(mixed prose, forms, code and credentials). Each document is scanned once per detector on this
thread after a warm-up; ONNX Runtime uses one thread. Reported: p50/p95/max in ms per KB.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import orjson

from trueport.guard.base import Detector, ScanContext
from trueport.guard.registry import DETECTOR_NAMES, default_detectors

ROOT = Path(__file__).resolve().parents[2]


def documents(size: int = 1024) -> list[str]:
    texts: list[str] = []
    for path in (ROOT / "eval" / "pii" / "heldout.jsonl", ROOT / "eval" / "secrets" / "heldout.jsonl"):
        texts.extend(orjson.loads(line)["text"] for line in path.read_bytes().splitlines())
    docs: list[str] = []
    current = ""
    for text in texts:
        current += text + "\n"
        while len(current) >= size:
            docs.append(current[:size])
            current = current[size:]
    return docs


def measure(detectors: list[Detector], docs: list[str]) -> tuple[float, float, float]:
    context = ScanContext()
    for doc in docs[:30]:
        for detector in detectors:
            detector.scan(doc, context)
    timings = []
    for doc in docs:
        started = time.perf_counter()
        for detector in detectors:
            detector.scan(doc, context)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95)], timings[-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", default=None, help="detector names (default: pii, secrets, all)")
    args = parser.parse_args()
    docs = documents()
    print(f"{len(docs)} documents of 1 KB")
    groups = [[name] for name in (args.only or ["pii", "secrets"])]
    if args.only is None:
        groups.append(list(DETECTOR_NAMES))
    for names in groups:
        p50, p95, worst = measure(default_detectors(names), docs)
        print(f"{' + '.join(names):<40} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   max {worst:6.2f} ms  per KB")


if __name__ == "__main__":
    main()
