"""Whole requests through the guard, as the proxy runs it: what share is refused, changed or flagged.

A traffic file is JSON Lines, one request a line::

    {"id": "generic-17", "category": "generic_system", "kind": "benign",
     "request": {"messages": [{"role": "system", "content": "You are a helpful assistant."}, ...]},
     "answer": "The capital of Peru is Lima.",      # optional: the provider's answer to screen
     "personal_data": false}                         # optional: the request carries personal data

``kind`` is ``benign`` (ordinary traffic: it should pass untouched) or ``attack`` (it should be
stopped). ``request`` is an OpenAI chat request (an Anthropic one is translated first when
``"format": "anthropic"``). Each request is screened with ``guard_request`` under one policy and,
when it was not refused and an ``answer`` is given, the answer is screened with ``guard_completion``
as the provider's reply: the same functions, engine and redaction map as the proxy's, without the
network. ``personal_data`` marks requests into which real-looking personal data was put on purpose:
redacting those is the policy working, so changes are counted separately for them.

Per category and per kind the report gives: requests, share **refused** (blocked on the way in), share
**changed** on the way in (anything redacted before the provider), share changed with no personal
data in the request, share **flagged** (let through with a violation record), share of **answers
changed** (not counting input placeholders put back), and per-request guard time (p50, p95). For
attacks, **stopped** is the refused share.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from trueport.errors import InvalidRequest
from trueport.guard.engine import GuardEngine
from trueport.guard.evaluation import DataError
from trueport.guard.messages import guard_completion, guard_request
from trueport.guard.redaction import RedactionMap
from trueport.guard.scanner import percentile
from trueport.jsonutil import JSONDecodeError, JSONObject, loads_object

KINDS = ("benign", "attack")


@dataclass(frozen=True, slots=True)
class TrafficItem:
    line: int
    id: str
    category: str
    kind: str
    request: JSONObject  # canonical (OpenAI chat) form
    answer: str | None
    personal_data: bool


def read_traffic(lines: Iterable[bytes | str]) -> list[TrafficItem]:
    """Parse a traffic file; raises ``DataError`` (as labelled data does) at the first malformed line."""
    from trueport.formats.anthropic import messages_request_to_chat

    items: list[TrafficItem] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = loads_object(raw)
        except (JSONDecodeError, ValueError) as exc:
            raise DataError(number, f"not a JSON object ({exc})") from exc
        request, kind, category = row.get("request"), row.get("kind"), row.get("category")
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
            raise DataError(number, "'request' must be a chat request with a 'messages' list")
        if kind not in KINDS:
            raise DataError(number, f"'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
        if not isinstance(category, str) or not category:
            raise DataError(number, "'category' must be a non-empty string")
        answer = row.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise DataError(number, "'answer' must be a string when present")
        if row.get("format") == "anthropic":
            try:
                request = messages_request_to_chat(request)
            except InvalidRequest as exc:
                raise DataError(number, f"not an Anthropic request: {exc}") from exc
        items.append(
            TrafficItem(
                line=number,
                id=str(row.get("id", number)),
                category=category,
                kind=str(kind),
                request=request,
                answer=answer,
                personal_data=bool(row.get("personal_data", False)),
            )
        )
    return items


def load_traffic(path: Path) -> list[TrafficItem]:
    with path.open("rb") as handle:
        return read_traffic(handle)


@dataclass(frozen=True, slots=True)
class Outcome:
    refused: bool
    changed: bool  # texts redacted before the provider
    flagged: bool
    answer_changed: bool
    flagged_by: tuple[str, ...]  # detectors, for the report's breakdown
    changed_by: tuple[str, ...]  # "detector:type" of what was redacted on the way in
    refused_by: str | None
    ms: float


def screen(engine: GuardEngine, item: TrafficItem) -> Outcome:
    """One request (and its answer) through the guard, as the proxy screens it."""
    started = time.perf_counter()
    redactions = RedactionMap()
    guarded = guard_request(engine, item.request, redactions)
    decision = guarded.decision
    flagged_by = {a.finding.detector for a in decision.flags}
    answer_changed = False
    if not decision.blocked and item.answer is not None:
        completion: JSONObject = {
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": item.answer}}],
        }
        answered = guard_completion(engine, completion, redactions)
        flagged_by |= {a.finding.detector for a in answered.decision.flags}
        if answered.decision.blocked:
            answer_changed = True
        else:
            content = answered.document["choices"][0]["message"]["content"]
            answer_changed = content != item.answer
    block = decision.block
    return Outcome(
        refused=decision.blocked,
        changed=guarded.document is not item.request,
        flagged=bool(flagged_by),
        answer_changed=answer_changed,
        flagged_by=tuple(sorted(flagged_by)),
        changed_by=tuple(sorted({f"{a.finding.detector}:{a.finding.type}" for a in decision.redactions})),
        refused_by=f"{block.detector}:{block.type or block.reason}" if block is not None else None,
        ms=(time.perf_counter() - started) * 1000.0,
    )


@dataclass(slots=True)
class Tally:
    requests: int = 0
    refused: int = 0
    changed: int = 0
    changed_without_personal_data: int = 0
    personal_data: int = 0
    flagged: int = 0
    caught: int = 0  # refused or flagged
    answers: int = 0
    answers_changed: int = 0
    ms: list[float] = field(default_factory=list)
    refused_by: Counter[str] = field(default_factory=Counter)
    flagged_by: Counter[str] = field(default_factory=Counter)
    changed_by: Counter[str] = field(default_factory=Counter)  # requests changed, by what was redacted

    def add(self, item: TrafficItem, outcome: Outcome) -> None:
        self.requests += 1
        self.refused += outcome.refused
        self.changed += outcome.changed
        self.personal_data += item.personal_data
        self.changed_without_personal_data += outcome.changed and not item.personal_data
        self.flagged += outcome.flagged
        self.caught += outcome.refused or outcome.flagged
        self.answers += item.answer is not None and not outcome.refused
        self.answers_changed += outcome.answer_changed
        self.ms.append(outcome.ms)
        if outcome.refused_by is not None:
            self.refused_by[outcome.refused_by] += 1
        self.flagged_by.update(outcome.flagged_by)
        self.changed_by.update(outcome.changed_by)

    def shares(self) -> dict[str, float]:
        """Each count as a share of the requests it can happen to (0.0 when there are none)."""

        def share(count: int, total: int) -> float:
            return round(count / total, 4) if total else 0.0

        return {
            "refused": share(self.refused, self.requests),
            "changed": share(self.changed, self.requests),
            "changed_without_personal_data": share(
                self.changed_without_personal_data, self.requests - self.personal_data
            ),
            "flagged": share(self.flagged, self.requests),
            "refused_or_flagged": share(self.caught, self.requests),
            "answers_changed": share(self.answers_changed, self.answers),
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            **self.shares(),
            "p50_ms": round(percentile(self.ms, 50), 3),
            "p95_ms": round(percentile(self.ms, 95), 3),
            "refused_by": dict(sorted(self.refused_by.items())),
            "flagged_by": dict(sorted(self.flagged_by.items())),
            "changed_by": dict(sorted(self.changed_by.items())),
        }


@dataclass(slots=True)
class TrafficReport:
    kinds: dict[str, Tally] = field(default_factory=dict)
    categories: dict[tuple[str, str], Tally] = field(default_factory=dict)
    refused_ids: list[str] = field(default_factory=list)  # benign requests refused, for inspection

    def add(self, item: TrafficItem, outcome: Outcome) -> None:
        self.kinds.setdefault(item.kind, Tally()).add(item, outcome)
        self.categories.setdefault((item.kind, item.category), Tally()).add(item, outcome)
        if item.kind == "benign" and outcome.refused:
            self.refused_ids.append(item.id)

    def as_dict(self) -> dict[str, object]:
        return {
            "kinds": {kind: tally.as_dict() for kind, tally in sorted(self.kinds.items())},
            "categories": {
                f"{kind}/{category}": tally.as_dict()
                for (kind, category), tally in sorted(self.categories.items())
            },
            "benign_refused_ids": self.refused_ids,
        }


def run_traffic(engine: GuardEngine, items: Iterable[TrafficItem]) -> TrafficReport:
    report = TrafficReport()
    for item in items:
        report.add(item, screen(engine, item))
    return report


_COLUMNS = ("refused", "changed", "changed_without_personal_data", "flagged", "answers_changed")


def format_traffic(report: TrafficReport) -> str:
    """A fixed-width table: one row per kind/category, then each kind's total and what refused,
    changed and flagged its requests."""
    header = (
        f"{'kind/category':<34}{'n':>6}{'refused':>9}{'changed':>9}{'chg-noPD':>9}"
        f"{'flagged':>9}{'ans-chg':>9}{'p50 ms':>8}{'p95 ms':>8}"
    )
    lines = [header, "-" * len(header)]

    def row(name: str, tally: Tally) -> str:
        shares = tally.shares()
        percents = "".join(f"{100 * shares[column]:>8.1f}%" for column in _COLUMNS)
        p50, p95 = percentile(tally.ms, 50), percentile(tally.ms, 95)
        return f"{name:<34}{tally.requests:>6}{percents}{p50:>8.3f}{p95:>8.3f}"

    def counts(what: str, counter: Counter[str]) -> str:
        return f"  {what}: " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))

    for (kind, category), tally in sorted(report.categories.items()):
        lines.append(row(f"{kind}/{category}", tally))
    lines.append("-" * len(header))
    for kind, tally in sorted(report.kinds.items()):
        lines.append(row(f"{kind} (all)", tally))
        for what, counter in (
            ("refused by", tally.refused_by),
            ("changed by (requests)", tally.changed_by),
            ("flagged by", tally.flagged_by),
        ):
            if counter:
                lines.append(counts(f"{kind} {what}", counter))
    attacks = report.kinds.get("attack")
    if attacks is not None:
        shares = attacks.shares()
        lines.append(
            f"attacks stopped (refused): {100 * shares['refused']:.1f}%; "
            f"stopped or flagged: {100 * shares['refused_or_flagged']:.1f}%"
        )
    return "\n".join(lines) + "\n"
