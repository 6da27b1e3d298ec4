"""Scoring a detector on labelled data."""

from __future__ import annotations

from typing import ClassVar

import pytest

from trueport.guard.base import Finding, ScanContext
from trueport.guard.evaluation import (
    Counts,
    DataError,
    LabelledItem,
    evaluate,
    format_report,
    match_spans,
    read_labelled,
)


class Keyword:
    """Flags every occurrence of "bad" (score 0.9) and of "meh" (score 0.4), with spans."""

    name: ClassVar[str] = "keyword"
    default_threshold: ClassVar[float] = 0.5

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        found = []
        for word, score in (("bad", 0.9), ("meh", 0.4)):
            start = text.find(word)
            while start >= 0:
                found.append(Finding(self.name, word, start, start + len(word), score))
                start = text.find(word, start + 1)
        return found


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.0005  # every call advances 0.5 ms: one scan = 0.5 ms
        return self.now


def items(*rows: tuple[str, int]) -> list[LabelledItem]:
    return [LabelledItem(i + 1, text, label) for i, (text, label) in enumerate(rows)]


def test_read_labelled() -> None:
    data = [
        b'{"text": "a bad day", "label": 1, "source": "x"}\n',
        b"\n",
        b'{"text": "fine", "label": false, "spans": []}\n',
        b'{"text": "call 555", "label": true, "spans": [[5, 8, "phone"], [0, 4]]}\n',
    ]
    assert read_labelled(data) == [
        LabelledItem(1, "a bad day", 1),
        LabelledItem(3, "fine", 0, ()),
        LabelledItem(4, "call 555", 1, ((5, 8, "phone"), (0, 4, ""))),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json", "line 2: not a JSON object"),
        (b"[1, 2]", "line 2: not a JSON object"),
        (b'{"label": 1}', "line 2: missing string field 'text'"),
        (b'{"text": "x", "label": 2}', "line 2: 'label' must be 0 or 1, got 2"),
        (b'{"text": "x", "label": 1.0}', "line 2: 'label' must be 0 or 1"),
        (b'{"text": "x", "label": 1, "spans": {"a": 1}}', "line 2: 'spans' must be a list"),
        (b'{"text": "x", "label": 1, "spans": [[0, 5, "t"]]}', "line 2: bad span"),
        (b'{"text": "xy", "label": 1, "spans": [[1, 1, "t"]]}', "line 2: bad span"),
    ],
)
def test_malformed_lines_name_their_number(line: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message) as caught:
        read_labelled([b'{"text": "ok", "label": 0}', line])
    assert caught.value.line == 2


def test_counts() -> None:
    counts = Counts(tp=8, fp=2, fn=4, tn=86)
    assert counts.precision == pytest.approx(0.8)
    assert counts.recall == pytest.approx(8 / 12)
    assert counts.f_beta(1.0) == pytest.approx(2 * 0.8 * (8 / 12) / (0.8 + 8 / 12))
    assert counts.f_beta(2.0) == pytest.approx(5 * 0.8 * (8 / 12) / (4 * 0.8 + 8 / 12))
    assert counts.fpr == pytest.approx(2 / 88)
    assert Counts().precision == Counts().recall == Counts().f_beta(1) == Counts().fpr == 0.0


def test_text_level_scores_at_the_default_threshold() -> None:
    data = items(("a bad day", 1), ("so meh", 1), ("all good", 0), ("bad luck", 0), ("fine", 0))
    report = evaluate(Keyword(), data, clock=Clock())
    assert report.threshold == 0.5
    assert report.text == Counts(tp=1, fp=1, fn=1, tn=2)
    assert report.entity is None


def test_threshold_override() -> None:
    data = items(("a bad day", 1), ("so meh", 1), ("all good", 0))
    assert evaluate(Keyword(), data, threshold=0.3).text == Counts(tp=2, fp=0, fn=0, tn=1)


def test_entity_level_scores_only_items_with_spans() -> None:
    data = [
        LabelledItem(1, "bad and bad", 1, ((0, 3, "x"), (8, 11, "x"))),  # both found
        LabelledItem(2, "bad here", 1, ((4, 8, "x"),)),  # found in the wrong place
        LabelledItem(3, "nothing", 0, ()),
        LabelledItem(4, "bad", 1),  # no annotation: text level only
    ]
    report = evaluate(Keyword(), data)
    assert report.entity_items == 3
    assert report.entity == Counts(tp=2, fp=1, fn=1)
    assert report.as_dict()["entity_precision"] == pytest.approx(0.6667)


def test_match_spans_is_one_to_one() -> None:
    findings = [
        Finding("k", "t", 0, 5, 1.0),
        Finding("k", "t", 2, 4, 1.0),
        Finding("k", "t", None, None, 1.0),
    ]
    assert match_spans(findings, [(1, 3, "t")]) == (1, 1)


def test_latency_per_kb_counts_short_items_as_one_kb() -> None:
    data = items(("short", 0), ("x" * 4096, 0))
    report = evaluate(Keyword(), data, clock=Clock())
    assert report.latency_ms == pytest.approx((0.5, 0.5))
    assert report.latency_ms_per_kb == pytest.approx((0.5, 0.125))


def test_the_report_format_is_stable() -> None:
    report = evaluate(Keyword(), items(("a bad day", 1), ("fine", 0)), clock=Clock())
    lines = format_report(report).splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        "detector",
        "threshold",
        "items",
        "positives",
        "negatives",
        "tp",
        "fp",
        "fn",
        "tn",
        "precision",
        "recall",
        "f1",
        "f2",
        "fpr",
        "latency_ms_p50",
        "latency_ms_p95",
        "latency_ms_per_kb_p50",
        "latency_ms_per_kb_p95",
    ]
    assert lines[0] == "detector\tkeyword"
    assert "precision\t1.0" in lines
    assert "latency_ms_p50\t0.5" in lines


def test_empty_data() -> None:
    report = evaluate(Keyword(), [])
    assert report.items == 0
    assert report.as_dict()["latency_ms_p50"] == 0.0
