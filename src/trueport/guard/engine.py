"""The guard engine: runs a tenant's detectors over some texts and decides what the policy says.

``GuardEngine(detectors, policy).evaluate(texts, direction)`` returns a ``Decision``: every finding
that reached its threshold, with the action the policy gives it (type overrides included), whether
to block (and the first detector and type that did; never the content), what to redact, what was
only flagged, what shadow mode computed without enforcing, detector failures with their fail mode
applied, async detectors deferred, and the time each inline detector took.

Latency budget. Detectors are synchronous CPU-bound code and Python cannot preempt them, so the
engine runs the inline detectors **in order, on the calling thread**, measures each one (over all the
texts of one evaluation) and marks it ``over_budget`` when it took longer than its
``latency_budget_ms``; its findings are still used (they are correct and already paid for). The
budget is thus reported, not enforced by preemption: a detector that is regularly over budget is
moved to ``mode: async`` by the operator. A thread pool with a timeout was considered and rejected:
the timed-out thread goes on burning the CPU (and the GIL) it was meant to save, and a hop to a
thread costs more (tens of µs) than the regex detectors it would wrap. Callers with slow,
GIL-releasing detectors (ONNX models) may run ``evaluate`` itself in a worker thread.

With a ``FindingsCache`` (``cache=``), a detector's findings for an input text it has seen under the
same context are reused instead of scanning again (the system prompt of every request, the earlier
turns of a conversation); see ``trueport.guard.findings_cache``. Output is never cached: an answer is
new every time, and a streamed one is scanned in growing windows that would only churn the cache.

The engine stops at the first enforced block (later detectors are listed in ``skipped``): the request
is refused whatever they would say, and the hot path should not pay for them.

A detector that raises is a failure of that detector: with ``fail_mode: closed`` the decision blocks
with reason ``guard_unavailable``; with ``open`` the text goes through and the failure is recorded.
A detector the policy enables but the engine was not given counts as failing on every evaluation.
Only the exception's class name is recorded, never its message (it may quote the text).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from trueport.guard.base import Detector, Direction, Finding, ScanContext, Source
from trueport.guard.findings_cache import FindingsCache, text_digest
from trueport.guard.policy import Action, DirectionPolicy, FailMode, Policy, RunMode

TextPath = tuple[str | int, ...]  # where a text lives in its JSON document, e.g. ("messages", 2, "content")
BlockReasonKind = Literal["violation", "guard_unavailable"]
_OFF, _BLOCK, _CLOSED = Action.OFF, Action.BLOCK, FailMode.CLOSED  # enum attribute lookups are slow


def format_path(path: TextPath) -> str:
    """``("messages", 2, "content", 0, "text")`` → ``"messages[2].content[0].text"``."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(f".{part}" if out else part)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class ScannedText:
    """One text to scan, and where it came from."""

    text: str
    path: TextPath = ()
    source: Source = Source.PROMPT

    @property
    def location(self) -> str:
        return format_path(self.path)


class AppliedFinding(NamedTuple):  # NamedTuples: immutable, and 3x cheaper to make than frozen dataclasses
    finding: Finding
    text_index: int  # index into the texts given to ``evaluate``
    action: Action  # never OFF: findings the policy turns off are dropped
    shadow: bool  # computed but not enforced

    @property
    def enforced(self) -> bool:
        return not self.shadow


@dataclass(frozen=True, slots=True)
class BlockReason:
    reason: BlockReasonKind
    detector: str
    type: str | None  # None for guard_unavailable
    text_index: int | None  # None when the detector is missing altogether


@dataclass(frozen=True, slots=True)
class DetectorFailure:
    detector: str
    error: str  # exception class name, or "DetectorMissing"
    fail_mode: FailMode
    shadow: bool
    text_index: int | None


class DetectorTiming(NamedTuple):
    detector: str
    elapsed_ms: float
    budget_ms: float

    @property
    def over_budget(self) -> bool:
        return self.elapsed_ms > self.budget_ms


@dataclass(frozen=True, slots=True)
class ViolationRecord:
    """One finding as the audit trail keeps it: what, where, which action, under which policy.

    Never the matched text: only its offsets in the text at ``location``.
    """

    detector: str
    type: str
    action: Action
    shadow: bool
    direction: Direction
    source: Source
    location: str
    policy_version: int
    score: float
    start: int | None
    end: int | None
    review: bool = False  # an inline flag the policy sends to a person (``Policy.reviews_flags``)

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "detector": self.detector,
            "type": self.type,
            "action": self.action.value,
            "shadow": self.shadow,
            "direction": self.direction.value,
            "source": self.source.value,
            "location": self.location,
            "policy_version": self.policy_version,
            "score": round(self.score, 4),
            "start": self.start,
            "end": self.end,
        }
        if self.review:  # only when set: every other record keeps its shape
            found["review"] = True
        return found


@dataclass(frozen=True, slots=True)
class Decision:
    direction: Direction
    policy_version: int
    findings: tuple[AppliedFinding, ...] = ()
    block: BlockReason | None = None
    failures: tuple[DetectorFailure, ...] = ()
    timings: tuple[DetectorTiming, ...] = ()
    deferred: tuple[str, ...] = ()  # async detectors: to be run off the hot path
    skipped: tuple[str, ...] = ()  # inline detectors not run because an earlier one blocked
    reviewed: frozenset[str] = frozenset()  # detectors whose enforced flags go to review

    @property
    def blocked(self) -> bool:
        return self.block is not None

    @property
    def redactions(self) -> tuple[AppliedFinding, ...]:
        return tuple(f for f in self.findings if f.enforced and f.action is Action.REDACT)

    @property
    def flags(self) -> tuple[AppliedFinding, ...]:
        return tuple(f for f in self.findings if f.enforced and f.action is Action.FLAG)

    @property
    def shadowed(self) -> tuple[AppliedFinding, ...]:
        return tuple(f for f in self.findings if f.shadow)

    @property
    def over_budget(self) -> tuple[str, ...]:
        return tuple(t.detector for t in self.timings if t.over_budget)

    def redactions_by_text(self) -> dict[int, list[Finding]]:
        out: dict[int, list[Finding]] = {}
        for applied in self.redactions:
            out.setdefault(applied.text_index, []).append(applied.finding)
        return out

    def violations(self, texts: Sequence[ScannedText]) -> list[ViolationRecord]:
        """The findings as audit records (``texts`` are the ones given to ``evaluate``)."""
        return [
            ViolationRecord(
                detector=a.finding.detector,
                type=a.finding.type,
                action=a.action,
                shadow=a.shadow,
                direction=self.direction,
                source=texts[a.text_index].source,
                location=texts[a.text_index].location,
                policy_version=self.policy_version,
                score=a.finding.score,
                start=a.finding.start,
                end=a.finding.end,
                review=_reviews(a, self.reviewed),
            )
            for a in self.findings
        ]


def _reviews(applied: AppliedFinding, reviewed: frozenset[str]) -> bool:
    return applied.action is Action.FLAG and not applied.shadow and applied.finding.detector in reviewed


class _SourceRule(NamedTuple):
    """What one detector does with texts of one source, every threshold resolved."""

    action: Action
    threshold: float
    block_threshold: float | None  # None: never escalates to block
    types: Mapping[str, tuple[Action, float]]
    scans: bool  # whether any finding on a text of this source can lead to an action (else: not scanned)
    context: ScanContext  # what the detector is told, including the types that can lead to an action

    def action_for(self, finding: Finding) -> Action:
        action, threshold = self.types.get(finding.type, (self.action, self.threshold))
        if action is _OFF or finding.score < threshold:
            return _OFF
        if self.block_threshold is not None and finding.score >= self.block_threshold:
            return _BLOCK
        return action


@dataclass(frozen=True, slots=True)
class _Rule:
    """One detector's policy in one direction, resolved once per engine for every source."""

    name: str
    detector: Detector | None  # None: enabled by the policy but not available
    sources: Mapping[Source, _SourceRule]
    fail_mode: FailMode
    shadow: bool
    budget_ms: float


def _resolve(
    rule: DirectionPolicy, direction: Direction, source: Source, default: float, tenant_id: str | None
) -> _SourceRule:
    resolved = rule.for_source(source)
    action = resolved.action if resolved.action is not None else _OFF
    threshold = resolved.threshold if resolved.threshold is not None else default
    types = {
        kind: (
            override.action if override.action is not None else action,
            override.threshold if override.threshold is not None else threshold,
        )
        for kind, override in resolved.types.items()
    }
    scans = action is not _OFF or any(kind_action is not _OFF for kind_action, _ in types.values())
    wanted = None if action is not _OFF else frozenset(k for k, (a, _) in types.items() if a is not _OFF)
    ignored = frozenset(k for k, (a, _) in types.items() if a is _OFF) if wanted is None else frozenset()
    context = ScanContext(direction, source, tenant_id, wanted, ignored)
    return _SourceRule(action, threshold, resolved.block_threshold, types, scans, context)


@dataclass(frozen=True, slots=True)
class _Plan:
    inline: tuple[_Rule, ...] = ()
    deferred: tuple[str, ...] = ()


class _Run:
    __slots__ = ("block", "cache", "digests", "failures", "findings", "timings")

    def __init__(self, texts: int, cache: FindingsCache | None) -> None:
        self.findings: list[AppliedFinding] = []
        self.failures: list[DetectorFailure] = []
        self.timings: list[DetectorTiming] = []
        self.block: BlockReason | None = None
        self.cache = cache
        self.digests: list[bytes | None] = [None] * texts if cache is not None else []  # made once each


class GuardEngine:
    """A policy bound to the detectors that implement it; build once per policy version, reuse."""

    def __init__(
        self,
        detectors: Iterable[Detector],
        policy: Policy,
        *,
        tenant_id: str | None = None,
        cache: FindingsCache | None = None,
    ):
        self.policy = policy
        self.tenant_id = tenant_id
        self.cache = cache
        self.detectors: dict[str, Detector] = {d.name: d for d in detectors}
        self.missing = tuple(
            name
            for name, rules in policy.detectors.items()
            if name not in self.detectors and (rules.input.active or rules.output.active)
        )
        self._plans = {direction: self._plan(direction) for direction in Direction}
        self._reviewed = {
            direction: frozenset(n for n in policy.detectors if policy.reviews_flags(n, direction))
            for direction in Direction
        }

    def reviewed(self, direction: Direction) -> frozenset[str]:
        """The detectors whose enforced ``flag`` findings in ``direction`` become review items."""
        return self._reviewed[direction]

    def _plan(self, direction: Direction) -> _Plan:
        inline: list[_Rule] = []
        deferred: list[str] = []
        order = list(self.detectors) + [n for n in self.policy.detectors if n not in self.detectors]
        for name in order:
            rules = self.policy.detectors.get(name)
            if rules is None or not rules.direction(direction).active:
                continue
            if rules.mode is RunMode.ASYNC:
                deferred.append(name)
                continue
            detector = self.detectors.get(name)
            rule = rules.direction(direction)
            default = detector.default_threshold if detector is not None else 0.5
            inline.append(
                _Rule(
                    name=name,
                    detector=detector,
                    sources={
                        source: _resolve(rule, direction, source, default, self.tenant_id)
                        for source in Source
                    },
                    fail_mode=rules.fail_mode_for(direction),
                    shadow=self.policy.shadow or rules.shadow,
                    budget_ms=rules.latency_budget_ms,
                )
            )
        return _Plan(tuple(inline), tuple(deferred))

    def active(self, direction: Direction) -> bool:
        """Whether evaluating this direction can do anything (callers skip the work when not)."""
        plan = self._plans[direction]
        return bool(plan.inline or plan.deferred)

    def has_inline(self, direction: Direction) -> bool:
        """Whether anything runs on the hot path in this direction (output stream guarding needs it)."""
        return bool(self._plans[direction].inline)

    def fails_closed(self, direction: Direction) -> bool:
        """Whether an inline detector of this direction blocks when it cannot give a verdict."""
        return any(rule.fail_mode is _CLOSED and not rule.shadow for rule in self._plans[direction].inline)

    def evaluate(self, texts: Sequence[ScannedText], direction: Direction) -> Decision:
        plan = self._plans[direction]
        run = _Run(len(texts), self.cache if direction is Direction.INPUT else None)
        skipped: list[str] = []
        for rule in plan.inline:
            if run.block is not None:
                skipped.append(rule.name)
                continue
            self._run_rule(rule, texts, run)
        return Decision(
            direction=direction,
            policy_version=self.policy.version,
            findings=tuple(run.findings),
            block=run.block,
            failures=tuple(run.failures),
            timings=tuple(run.timings),
            deferred=plan.deferred,
            skipped=tuple(skipped),
            reviewed=self._reviewed[direction],
        )

    def _run_rule(self, rule: _Rule, texts: Sequence[ScannedText], run: _Run) -> None:
        detector = rule.detector
        if detector is None:
            self._fail(rule, "DetectorMissing", None, run)
            return
        started = time.perf_counter_ns()
        for index, scanned in enumerate(texts):
            source_rule = rule.sources[scanned.source]
            if not scanned.text or not source_rule.scans:
                continue
            try:
                found = self._scan(detector, scanned.text, source_rule.context, index, run)
            except Exception as exc:  # a detector is a plug-in boundary: any failure is its failure
                self._fail(rule, type(exc).__name__, index, run)
                continue
            for finding in found:
                action = source_rule.action_for(finding)
                if action is _OFF:
                    continue
                run.findings.append(AppliedFinding(finding, index, action, rule.shadow))
                if action is _BLOCK and not rule.shadow and run.block is None:
                    run.block = BlockReason("violation", rule.name, finding.type, index)
        elapsed_ms = (time.perf_counter_ns() - started) / 1e6
        run.timings.append(DetectorTiming(rule.name, elapsed_ms, rule.budget_ms))

    def _scan(
        self, detector: Detector, text: str, context: ScanContext, index: int, run: _Run
    ) -> Sequence[Finding]:
        cache = run.cache
        if cache is None:
            return detector.scan(text, context)
        digest = run.digests[index]
        if digest is None:
            digest = run.digests[index] = text_digest(text)
        key = (detector.name, context, digest)
        found = cache.get(key)
        if found is None:
            found = tuple(detector.scan(text, context))
            cache.put(key, found)
        return found

    @staticmethod
    def _fail(rule: _Rule, error: str, index: int | None, run: _Run) -> None:
        run.failures.append(DetectorFailure(rule.name, error, rule.fail_mode, rule.shadow, index))
        if rule.fail_mode is _CLOSED and not rule.shadow and run.block is None:
            run.block = BlockReason("guard_unavailable", rule.name, None, index)
