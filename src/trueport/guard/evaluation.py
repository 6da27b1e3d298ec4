"""Measure a detector on labelled data: precision, recall, F1/F2, false-positive rate and latency.

Data is JSON Lines, one object per line: ``text`` (string), ``label`` (1 = violation, 0 = benign;
``true``/``false`` accepted) and, for span detectors (pii, secrets), optionally
``spans: [[start, end, type], ...]`` (character offsets; ``[]`` for none) for entity-level scores.
Other fields are ignored. Blank lines are skipped; any other malformed line is a ``DataError``
naming the line, and nothing is measured (a figure over part of a file would be misleading).

Text level: an item is predicted positive when the detector returns any finding scoring at or
above the threshold (the detector's ``default_threshold`` unless given).

Entity level (only over the items that carry ``spans``): a predicted span is a finding at or above
the threshold with offsets; it is a true positive when it overlaps a gold span not matched yet
(types are not compared: detectors name types their own way). Unmatched predictions are false
positives, unmatched gold spans false negatives; there are no true negatives, so no FPR.

Latency: each item is scanned once, timed with ``time.perf_counter``, after one untimed warm-up
scan (which opens models). ``latency_ms_per_kb`` divides an item's time by its UTF-8 size in KiB,
counting an item under 1 KiB as 1 KiB (so short items do not inflate it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from trueport.guard.base import Detector, Finding, ScanContext
from trueport.guard.scanner import percentile
from trueport.jsonutil import JSONDecodeError, loads_object

Span = tuple[int, int, str]


class DataError(ValueError):
    """A line of labelled data is malformed."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True, slots=True)
class LabelledItem:
    line: int
    text: str
    label: int  # 1 = violation
    spans: tuple[Span, ...] | None = None  # None: the item has no span annotation


def read_labelled(lines: Iterable[bytes | str]) -> list[LabelledItem]:
    """Parse labelled JSON Lines; raises ``DataError`` at the first malformed line."""
    items = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = loads_object(raw)
        except (JSONDecodeError, ValueError) as exc:
            raise DataError(number, f"not a JSON object ({exc})") from exc
        text, label = row.get("text"), row.get("label")
        if not isinstance(text, str):
            raise DataError(number, "missing string field 'text'")
        if label not in (0, 1) or isinstance(label, float):
            raise DataError(number, f"'label' must be 0 or 1, got {label!r}")
        items.append(LabelledItem(number, text, int(label), _spans(number, row.get("spans"), len(text))))
    return items


def load_labelled(path: Path) -> list[LabelledItem]:
    with path.open("rb") as handle:
        return read_labelled(handle)


def _spans(line: int, value: object, length: int) -> tuple[Span, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise DataError(line, "'spans' must be a list of [start, end, type]")
    spans = []
    for span in value:
        if not (isinstance(span, list) and len(span) in (2, 3)):
            raise DataError(line, f"bad span {span!r}: expected [start, end, type]")
        start, end = span[0], span[1]
        kind = span[2] if len(span) == 3 else ""
        valid = isinstance(start, int) and isinstance(end, int) and isinstance(kind, str)
        if not valid or not 0 <= start < end <= length:
            raise DataError(line, f"bad span {span!r} for a text of {length} characters")
        spans.append((start, end, kind))
    return tuple(spans)


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def f_beta(self, beta: float) -> float:
        p, r = self.precision, self.recall
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


@dataclass(frozen=True, slots=True)
class EvalReport:
    detector: str
    threshold: float
    items: int
    positives: int
    text: Counts
    entity_items: int  # items with a span annotation
    entity: Counts | None
    latency_ms: tuple[float, ...]  # per item, in data order
    latency_ms_per_kb: tuple[float, ...]

    def as_dict(self) -> dict[str, object]:
        """The figures, in a fixed order (the text output prints the same keys)."""
        out: dict[str, object] = {
            "detector": self.detector,
            "threshold": self.threshold,
            "items": self.items,
            "positives": self.positives,
            "negatives": self.items - self.positives,
            "tp": self.text.tp,
            "fp": self.text.fp,
            "fn": self.text.fn,
            "tn": self.text.tn,
            "precision": round(self.text.precision, 4),
            "recall": round(self.text.recall, 4),
            "f1": round(self.text.f_beta(1.0), 4),
            "f2": round(self.text.f_beta(2.0), 4),
            "fpr": round(self.text.fpr, 4),
            "latency_ms_p50": round(percentile(self.latency_ms, 50), 3),
            "latency_ms_p95": round(percentile(self.latency_ms, 95), 3),
            "latency_ms_per_kb_p50": round(percentile(self.latency_ms_per_kb, 50), 3),
            "latency_ms_per_kb_p95": round(percentile(self.latency_ms_per_kb, 95), 3),
        }
        if self.entity is not None:
            out |= {
                "entity_items": self.entity_items,
                "entity_tp": self.entity.tp,
                "entity_fp": self.entity.fp,
                "entity_fn": self.entity.fn,
                "entity_precision": round(self.entity.precision, 4),
                "entity_recall": round(self.entity.recall, 4),
                "entity_f1": round(self.entity.f_beta(1.0), 4),
                "entity_f2": round(self.entity.f_beta(2.0), 4),
            }
        return out


def format_report(report: EvalReport) -> str:
    """``key<TAB>value`` lines, in ``as_dict`` order: stable for scripts (``cut -f2``, ``awk``)."""
    return "".join(f"{key}\t{value}\n" for key, value in report.as_dict().items())


def evaluate(
    detector: Detector,
    items: Sequence[LabelledItem],
    *,
    threshold: float | None = None,
    context: ScanContext | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> EvalReport:
    """Scan every item once and score the detector against the labels."""
    context = context if context is not None else ScanContext()
    cut = detector.default_threshold if threshold is None else threshold
    if items:
        detector.scan(items[0].text, context)  # warm-up: models open on first use
    tp = fp = fn = tn = 0
    etp = efp = efn = entity_items = 0
    latencies: list[float] = []
    per_kb: list[float] = []
    for item in items:
        started = clock()
        findings = detector.scan(item.text, context)
        elapsed_ms = 1000.0 * (clock() - started)
        latencies.append(elapsed_ms)
        per_kb.append(elapsed_ms / max(len(item.text.encode("utf-8", "surrogatepass")) / 1024.0, 1.0))
        hits = [f for f in findings if f.score >= cut]
        predicted = bool(hits)
        if item.label and predicted:
            tp += 1
        elif predicted:
            fp += 1
        elif item.label:
            fn += 1
        else:
            tn += 1
        if item.spans is not None:
            entity_items += 1
            matched, unmatched = match_spans(hits, item.spans)
            etp += matched
            efp += unmatched
            efn += len(item.spans) - matched
    return EvalReport(
        detector=detector.name,
        threshold=cut,
        items=len(items),
        positives=sum(i.label for i in items),
        text=Counts(tp, fp, fn, tn),
        entity_items=entity_items,
        entity=Counts(etp, efp, efn) if entity_items else None,
        latency_ms=tuple(latencies),
        latency_ms_per_kb=tuple(per_kb),
    )


def match_spans(findings: Sequence[Finding], gold: Sequence[Span]) -> tuple[int, int]:
    """(matched gold spans, unmatched predicted spans): greedy one-to-one by overlap."""
    predicted = sorted((f.start, f.end) for f in findings if f.start is not None and f.end is not None)
    free = sorted((start, end) for start, end, _ in gold)
    matched = 0
    unmatched = 0
    for start, end in predicted:
        for k, (g_start, g_end) in enumerate(free):
            if start < g_end and g_start < end:
                del free[k]
                matched += 1
                break
        else:
            unmatched += 1
    return matched, unmatched
