"""Reversible redaction: typed placeholders in the prompt, originals put back in the answer.

A ``RedactionMap`` lives for one request. ``redact`` replaces each span with a placeholder such as
``⟦EMAIL_1⟧`` or ``⟦PERSON_2⟧``; the same value always gets the same placeholder within the request,
so the model can still tell two people apart and refer to one twice. ``restore`` puts the originals
back; ``StreamRestorer`` does it on a stream of text deltas.

Placeholders are written between U+27E6/U+27E7 (mathematical white square brackets): one code point
each, so models copy them as a unit, and practically absent from prose and code, so the streaming
restorer almost never has to hold anything back. A text that already contains something shaped like a
placeholder has that name reserved (``reserve``), so a literal ``⟦EMAIL_1⟧`` typed by the user is never
"restored" into someone's address.

Output redactions (``reversible=False``) share the numbering but are never restored: data the model
produced that the policy hides stays hidden, while the user's own data comes back.

Overlapping findings are merged into one span (their union); its type is the finding that covers the
most characters, then the higher score, then the type name, then the detector name: deterministic
whatever order detectors report in. A finding without offsets (a whole-text verdict) covers the whole
text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from trueport.guard.base import Finding
from trueport.guard.engine import Decision, ScannedText, TextPath
from trueport.guard.policy import Policy
from trueport.jsonutil import dumps

OPEN = "\u27e6"  # ⟦
CLOSE = "\u27e7"  # ⟧
_PLACEHOLDER = re.compile(OPEN + r"[A-Z][A-Z0-9_]*_[1-9][0-9]*" + CLOSE)
_LABEL_JUNK = re.compile(r"[^A-Z0-9_]+")


class Span(NamedTuple):  # NamedTuples here: immutable, and much cheaper to make than frozen dataclasses
    start: int
    end: int
    type: str
    detector: str = ""
    score: float = 1.0


def merge_spans(findings: Iterable[Finding | Span], length: int) -> list[Span]:
    """Sorted, disjoint spans inside ``[0, length)``; overlapping ones merged (see module docstring)."""
    spans: list[Span] = []
    for item in findings:
        if isinstance(item, Span):
            start, end = item.start, item.end
        else:
            start = 0 if item.start is None else item.start
            end = length if item.end is None else item.end
        start, end = max(0, start), min(length, end)
        if start < end:
            spans.append(Span(start, end, item.type, item.detector, item.score))
    if len(spans) < 2:
        return spans
    spans.sort(key=_order)
    merged: list[Span] = []
    best = spans[0]
    start, end = best.start, best.end
    for span in spans[1:]:
        if span.start < end:
            end = max(end, span.end)
            if _rank(span) < _rank(best):
                best = span
            continue
        merged.append(best if (start, end) == (best.start, best.end) else best._replace(start=start, end=end))
        best, start, end = span, span.start, span.end
    merged.append(best if (start, end) == (best.start, best.end) else best._replace(start=start, end=end))
    return merged


def _order(span: Span) -> tuple[int, int, str, str]:
    return (span.start, -span.end, span.type, span.detector)


def _rank(span: Span) -> tuple[int, float, str, str]:
    return (-(span.end - span.start), -span.score, span.type, span.detector)


@functools.lru_cache(maxsize=1024)
def placeholder_label(kind: str) -> str:
    """``"us_ssn"`` → ``"US_SSN"``; anything else reduced to ``[A-Z0-9_]``, starting with a letter."""
    label = _LABEL_JUNK.sub("_", kind.upper()).strip("_") or "REDACTED"
    return label if label[0].isalpha() else "X" + label


def _json_string_content(value: str) -> str:
    return dumps(value)[1:-1].decode()


class _Entry(NamedTuple):
    placeholder: str
    type: str
    value: str
    reversible: bool


class RedactionMap:
    """Placeholders and the values they stand for, for one request. Keep it out of logs."""

    def __init__(self) -> None:
        self._by_value: dict[str, _Entry] = {}
        self._by_placeholder: dict[str, _Entry] = {}
        self._counters: dict[str, int] = {}
        self._reserved: set[str] = set()
        self._prefixes: frozenset[str] | None = frozenset()

    def __len__(self) -> int:
        return len(self._by_placeholder)

    @property
    def restorable(self) -> bool:
        return any(entry.reversible for entry in self._by_placeholder.values())

    def counts(self) -> dict[str, int]:
        """How many distinct values of each type were replaced (for records; no values)."""
        out: dict[str, int] = {}
        for entry in self._by_placeholder.values():
            out[entry.type] = out.get(entry.type, 0) + 1
        return out

    def reserve(self, text: str) -> None:
        """Never issue a placeholder that already appears in ``text``."""
        if OPEN in text:
            self._reserved.update(_PLACEHOLDER.findall(text))

    def placeholder(self, value: str, kind: str, *, reversible: bool = True) -> str:
        entry = self._by_value.get(value)
        if entry is not None:
            if reversible and not entry.reversible:  # the client's own value: it may come back
                entry = _Entry(entry.placeholder, entry.type, value, True)
                self._by_value[value] = self._by_placeholder[entry.placeholder] = entry
                self._prefixes = None
            return entry.placeholder
        label = placeholder_label(kind)
        number = self._counters.get(label, 0)
        while True:
            number += 1
            placeholder = f"{OPEN}{label}_{number}{CLOSE}"
            if placeholder not in self._reserved:
                break
        self._counters[label] = number
        entry = _Entry(placeholder, kind, value, reversible)
        self._by_value[value] = self._by_placeholder[placeholder] = entry
        if reversible:
            self._prefixes = None
        return placeholder

    def redact(self, text: str, findings: Iterable[Finding | Span], *, reversible: bool = True) -> str:
        spans = merge_spans(findings, len(text))
        if not spans:
            return text
        pieces: list[str] = []
        cursor = 0
        for span in spans:
            pieces.append(text[cursor : span.start])
            pieces.append(self.placeholder(text[span.start : span.end], span.type, reversible=reversible))
            cursor = span.end
        pieces.append(text[cursor:])
        return "".join(pieces)

    def restore(self, text: str, *, json_escape: bool = False) -> str:
        """``text`` with every reversible placeholder of this map replaced by its value.

        ``json_escape``: the text is JSON (tool-call arguments), values go in JSON-escaped.
        """
        if OPEN not in text or not self._by_placeholder:
            return text

        def value(match: re.Match[str]) -> str:
            entry = self._by_placeholder.get(match.group(0))
            if entry is None or not entry.reversible:
                return match.group(0)
            return _json_string_content(entry.value) if json_escape else entry.value

        return _PLACEHOLDER.sub(value, text)

    def is_placeholder_prefix(self, text: str) -> bool:
        """Whether ``text`` is a proper prefix of a reversible placeholder (so could become one)."""
        if self._prefixes is None:
            self._prefixes = frozenset(
                entry.placeholder[:i]
                for entry in self._by_placeholder.values()
                if entry.reversible
                for i in range(1, len(entry.placeholder))
            )
        return text in self._prefixes

    def restorer(self, *, json_escape: bool = False) -> StreamRestorer:
        return StreamRestorer(self, json_escape=json_escape)


class StreamRestorer:
    """Restores placeholders in a stream of text deltas, also when one is split across deltas.

    Guarantee: the concatenation of everything ``feed`` and ``flush`` return equals
    ``restore(concatenation of the deltas)``. Only a tail that is still a proper prefix of one of the
    map's reversible placeholders is held back (it starts with ``⟦``, so at most a dozen characters,
    and only while that character is in flight); everything else is returned at once.
    """

    def __init__(self, redactions: RedactionMap, *, json_escape: bool = False):
        self._map = redactions
        self._json_escape = json_escape
        self._held = ""

    def feed(self, delta: str) -> str:
        text = self._held + delta if self._held else delta
        self._held = ""
        if OPEN not in text:
            return text
        cut = text.rfind(OPEN)
        tail = text[cut:]
        if self._map.is_placeholder_prefix(tail):
            self._held = tail
            text = text[:cut]
        return self._map.restore(text, json_escape=self._json_escape)

    def flush(self) -> str:
        """The held tail (it never completed into a placeholder), at the end of the stream."""
        held, self._held = self._held, ""
        return held


def restore_tool_arguments(arguments: str, redactions: RedactionMap, policy: Policy) -> str:
    """Tool-call arguments with placeholders restored, only if the policy allows it (JSON-escaped)."""
    if not policy.restore_in_tool_arguments:
        return arguments
    return redactions.restore(arguments, json_escape=True)


def redact_scanned(
    texts: Sequence[ScannedText], decision: Decision, redactions: RedactionMap, *, reversible: bool = True
) -> dict[TextPath, str]:
    """The new text of every scanned text the decision redacts, by path (see ``messages.replace_texts``)."""
    by_text: Mapping[int, list[Finding]] = decision.redactions_by_text()
    if not by_text:
        return {}
    for scanned in texts:
        redactions.reserve(scanned.text)
    return {
        texts[index].path: redactions.redact(texts[index].text, findings, reversible=reversible)
        for index, findings in sorted(by_text.items())
    }
