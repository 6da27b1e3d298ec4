"""A tenant's guard policy: what each detector does, per direction and per source of text, and what
happens when it fails.

A policy is data (a frozen pydantic model, stored as JSON) with a ``version`` that goes into every
violation record, so that a decision can always be explained by the exact policy that made it.

    Policy
    ├── version, shadow, restore_in_tool_arguments, store_bodies
    ├── scan_limits: ScanLimits (max_texts, max_chars, over_limit: block | skip, deadline_ms)
    └── detectors: {name: DetectorPolicy}
        ├── mode (inline | async), latency_budget_ms, fail_mode (open | closed), shadow
        └── input / output: DirectionPolicy
            ├── action (block | redact | flag | off), threshold (None: the detector's default)
            ├── block_threshold (None: never escalate): at or above it a finding blocks, whatever
            │   the action (two thresholds: flag what is likely, block only what is near-certain)
            ├── fail_mode (None: the detector's)
            ├── types: {finding type: TypeOverride(action, threshold)}
            └── sources: {source: SourceRule(action, threshold, block_threshold, types)}

Every scanned text has a source (``trueport.guard.base.Source``): ``system``, ``user``, ``assistant``
(earlier assistant turns), ``tool_output``, ``tool_arguments``, ``document`` and ``prompt`` (a text of
unknown role) on the way in; ``completion`` and ``tool_arguments`` on the way out. A source rule
replaces what it sets of its direction's rule for texts of that source (its ``types`` are merged over
the direction's). A source whose rule can produce no action is not scanned at all by that detector.

A detector the policy does not name is off. A finding counts when its score reaches the threshold
of its type (or of its source, or of its direction); its action is the type's (or the source's, or
the direction's); a finding at or above ``block_threshold`` blocks unless its action is ``off``.
``shadow`` (on the policy or on one detector) computes and records everything and enforces nothing.

Why the defaults of ``default_policy()`` are what they are (``docs/guard.md`` has the measurements):

- **Injection is looked for in what the application did not write**: user turns, tool results,
  attached documents and texts of unknown role. The developer's system prompt ("You are a helpful
  assistant.") and the assistant's own earlier turns are the application's, not an attack surface:
  they are not scanned for injection. **It flags what is likely and blocks only what is
  near-certain** (``block_threshold``, calibrated on held-out benign traffic): a false block is a
  refused customer, a false flag is a line in a review queue.
- **Input PII is redacted**, reversibly (placeholders restored in the answer): the model rarely needs
  an e-mail address, a phone number or a card number to answer. **Names are left alone**:
  most names in requests are ones the model needs (public figures, authors, characters, the people
  of a maths problem, the players of a results table), a placeholder for "Marie Curie" breaks the
  answer, and names are the model-based detector's least certain finding; a tenant that must keep
  names from the provider sets ``"types": {"person": "redact"}`` (or ``"flag"`` to record them).
  In the system prompt, which the developer wrote (persona names, support addresses), only
  high-risk identifiers are redacted (cards, national IDs, IBANs, passports, driver's licences).
- **Secrets are looked for everywhere** and blocked on the way in: a key pasted into a system prompt
  leaves just the same; the provider must never see it, and a placeholder would hide the mistake.
- **Answers are changed only for high-risk data**: cards, national IDs, IBANs (PII) and secrets are
  redacted permanently (an output placeholder is never restored); names, e-mail addresses and phone
  numbers in an answer are left alone (a public figure's name is not a leak), and so is injection.
- **Bias is only flagged**, in user turns and answers: a judgement for a human, never a refusal.
- **Placeholders never reach the application**: they are restored in answers and, by default, in
  the arguments of the tool calls the model makes (``restore_in_tool_arguments``); a tenant that
  wants its tools to see placeholders turns it off.
- **Fail modes**: ``secrets`` and ``pii`` fail **closed** (a crash or a missing detector blocks the
  request with ``guard_unavailable``): their rules are cheap and deterministic, so a failure is a
  bug worth surfacing, and failing open would silently break the promise that keys and personal
  data do not leave. ``injection`` and ``bias`` fail **open** (the request goes on and the failure is
  recorded): they are statistical models whose outage must not take the gateway down with them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from trueport.errors import TruePortError
from trueport.guard.base import Direction, Source
from trueport.jsonutil import dumps

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Action(StrEnum):
    BLOCK = "block"  # refuse the request (input) or cut the answer (output)
    REDACT = "redact"  # replace the span with a placeholder
    FLAG = "flag"  # let it through and record it
    OFF = "off"  # ignore


class FailMode(StrEnum):
    OPEN = "open"  # a failing detector lets the text through; the failure is recorded
    CLOSED = "closed"  # a failing detector blocks, with reason ``guard_unavailable``


class RunMode(StrEnum):
    INLINE = "inline"  # on the hot path, under the latency budget
    ASYNC = "async"  # later, from a queue; can only flag


class PolicyError(TruePortError):
    """A policy that cannot be used; ``problems`` lists ``(location, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("invalid guard policy: " + "; ".join(f"{loc}: {msg}" for loc, msg in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TypeOverride(_Strict):
    """One finding type's exception to its direction's rule (``"off"`` alone is short for
    ``{"action": "off"}``)."""

    action: Action | None = None  # None: the direction's
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the direction's

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"action": value}
        return value

    @model_validator(mode="after")
    def _says_something(self) -> TypeOverride:
        if self.action is None and self.threshold is None:
            raise ValueError("a type override needs an action or a threshold")
        return self


INPUT_SOURCES = frozenset(
    {
        Source.SYSTEM,
        Source.USER,
        Source.ASSISTANT,
        Source.TOOL_OUTPUT,
        Source.TOOL_ARGUMENTS,
        Source.DOCUMENT,
        Source.PROMPT,
    }
)
OUTPUT_SOURCES = frozenset({Source.COMPLETION, Source.TOOL_ARGUMENTS})


def _check_type_names(value: dict[str, TypeOverride]) -> dict[str, TypeOverride]:
    for name in value:
        if not _NAME.match(name):
            raise ValueError(f"finding type {name!r} must match {_NAME.pattern}")
    return value


def _check_thresholds(threshold: float | None, block_threshold: float | None) -> None:
    if threshold is not None and block_threshold is not None and block_threshold < threshold:
        raise ValueError(f"block_threshold {block_threshold} is below threshold {threshold}")


class SourceRule(_Strict):
    """One source's exception to its direction's rule; unset fields are the direction's (``"off"``
    alone is short for ``{"action": "off"}``)."""

    action: Action | None = None
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    block_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    types: dict[str, TypeOverride] = Field(default_factory=dict)  # merged over the direction's

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"action": value}
        return value

    @field_validator("types")
    @classmethod
    def _type_names(cls, value: dict[str, TypeOverride]) -> dict[str, TypeOverride]:
        return _check_type_names(value)

    @model_validator(mode="after")
    def _ordered(self) -> SourceRule:
        _check_thresholds(self.threshold, self.block_threshold)
        return self


_NO_OVERRIDE = SourceRule()


class DirectionPolicy(_Strict):
    action: Action = Action.OFF
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the detector's default
    block_threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # None: never escalate
    fail_mode: FailMode | None = None  # None: the detector's
    types: dict[str, TypeOverride] = Field(default_factory=dict)
    sources: dict[Source, SourceRule] = Field(default_factory=dict)
    review: bool | None = None  # do its inline ``flag`` findings become review items; None: the policy's

    @field_validator("types")
    @classmethod
    def _type_names(cls, value: dict[str, TypeOverride]) -> dict[str, TypeOverride]:
        return _check_type_names(value)

    @model_validator(mode="after")
    def _ordered(self) -> DirectionPolicy:
        _check_thresholds(self.threshold, self.block_threshold)
        for source in self.sources:  # a source may set one threshold and inherit the other
            resolved = self.for_source(source)
            _check_thresholds(resolved.threshold, resolved.block_threshold)
        return self

    def for_source(self, source: Source) -> SourceRule:
        """The rule for texts of ``source``, with every field resolved against the direction's."""
        rule = self.sources.get(source) or _NO_OVERRIDE
        # Built without validation: the direction's validator has checked the merged thresholds.
        return SourceRule.model_construct(
            action=rule.action if rule.action is not None else self.action,
            threshold=rule.threshold if rule.threshold is not None else self.threshold,
            block_threshold=rule.block_threshold
            if rule.block_threshold is not None
            else self.block_threshold,
            types={**self.types, **rule.types},
        )

    @property
    def active(self) -> bool:
        """Whether anything in this direction can produce a non-``off`` action."""
        return any(action is not Action.OFF for action in self.actions())

    def actions(self) -> set[Action]:
        actions = {self.action} | {o.action for o in self.types.values() if o.action is not None}
        for rule in self.sources.values():
            actions |= {rule.action} if rule.action is not None else set()
            actions |= {o.action for o in rule.types.values() if o.action is not None}
        escalates = self.block_threshold is not None or any(
            rule.block_threshold is not None for rule in self.sources.values()
        )
        if escalates and actions - {Action.OFF}:
            actions.add(Action.BLOCK)
        return actions


class DetectorPolicy(_Strict):
    mode: RunMode = RunMode.INLINE
    latency_budget_ms: float = Field(default=50.0, gt=0.0)  # inline only; see GuardEngine
    fail_mode: FailMode = FailMode.OPEN
    shadow: bool = False
    input: DirectionPolicy = DirectionPolicy()
    output: DirectionPolicy = DirectionPolicy()

    def direction(self, direction: Direction) -> DirectionPolicy:
        return self.input if direction is Direction.INPUT else self.output

    def fail_mode_for(self, direction: Direction) -> FailMode:
        return self.direction(direction).fail_mode or self.fail_mode

    @model_validator(mode="after")
    def _sources_of_their_direction(self) -> DetectorPolicy:
        for name, rule, allowed in (
            ("input", self.input, INPUT_SOURCES),
            ("output", self.output, OUTPUT_SOURCES),
        ):
            wrong = sorted(source.value for source in rule.sources if source not in allowed)
            if wrong:
                raise ValueError(
                    f"{name}.sources: {', '.join(wrong)} never occur in this direction "
                    f"(allowed: {', '.join(sorted(s.value for s in allowed))})"
                )
        return self

    @model_validator(mode="after")
    def _async_only_flags(self) -> DetectorPolicy:
        if self.mode is RunMode.ASYNC:
            for name, rule in (("input", self.input), ("output", self.output)):
                enforcing = rule.actions() & {Action.BLOCK, Action.REDACT}
                if enforcing:
                    raise ValueError(
                        f"{name}: an async detector cannot {'/'.join(sorted(enforcing))} (its verdict "
                        "arrives after the answer); use flag, or run it inline"
                    )
        return self


class ScanLimits(_Strict):
    """How much of one request (or answer) the inline detectors scan, and how long it may wait.

    Over ``max_texts`` texts (messages' contents, tool arguments...) or ``max_chars`` characters in
    all, ``over_limit`` decides: ``block`` refuses it (400 ``scan_limit_exceeded``); ``skip`` sends it
    unscanned and records a flag. A verdict not ready within ``deadline_ms`` (scans run in the
    gateway's bounded scan pool, so this includes waiting for a worker) counts as a failure of the
    inline detectors: blocked (503) if one of them fails closed, else sent and recorded.
    """

    max_texts: int = Field(default=2_000, ge=1)
    max_chars: int = Field(default=512 * 1024, ge=1)
    over_limit: Literal["block", "skip"] = "block"
    deadline_ms: float = Field(default=5_000.0, gt=0.0)


class ReviewRules(_Strict):
    """Which findings a person reviews, besides those of async detectors (which always are)."""

    flagged: bool = False  # every detector's inline ``flag`` findings (enforced, not shadow)


class Policy(_Strict):
    version: int = Field(ge=1)
    scan_limits: ScanLimits = Field(default_factory=ScanLimits)  # per request and direction
    shadow: bool = False  # evaluate and record everything, enforce nothing
    detectors: dict[str, DetectorPolicy] = Field(default_factory=dict)
    restore_in_tool_arguments: bool = True  # are input placeholders restored in tool-call arguments
    store_bodies: bool = False  # may the audit trail keep (redacted) prompt and answer bodies
    review: ReviewRules = Field(default_factory=ReviewRules)

    @field_validator("detectors")
    @classmethod
    def _detector_names(cls, value: dict[str, DetectorPolicy]) -> dict[str, DetectorPolicy]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"detector name {name!r} must match {_NAME.pattern}")
        return value

    def detector(self, name: str) -> DetectorPolicy | None:
        return self.detectors.get(name)

    def reviews_flags(self, name: str, direction: Direction) -> bool:
        """Whether detector ``name``'s inline ``flag`` findings in ``direction`` become review items:
        its direction's ``review`` if set, else the policy's ``review.flagged``."""
        rules = self.detectors.get(name)
        chosen = rules.direction(direction).review if rules is not None else None
        return self.review.flagged if chosen is None else chosen

    def to_json(self) -> bytes:
        return dumps(self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, data: bytes | str) -> Policy:
        """Parse a stored or submitted policy; raises ``PolicyError`` naming every problem."""
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise PolicyError(_problems(exc)) from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise PolicyError(_problems(exc)) from None


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    return [
        (".".join(str(part) for part in error["loc"]) or "policy", error["msg"]) for error in exc.errors()
    ]


# Identifiers whose presence in a text is a risk by itself, wherever it is (see ``default_policy``).
HIGH_RISK_PII = ("credit_card", "iban", "us_ssn", "passport_number", "us_driver_license")

# The injection model's block threshold, chosen on held-out benign traffic (``training/injection``
# records it in ``models/injection/training.json``; a test keeps the two equal).
INJECTION_BLOCK_THRESHOLD = 0.9


def default_policy(version: int = 1) -> Policy:
    """The policy a new tenant starts with (see the module docstring for the reasoning)."""
    redact, block, flag, off = Action.REDACT, Action.BLOCK, Action.FLAG, Action.OFF
    high_risk_only = {kind: TypeOverride(action=redact) for kind in HIGH_RISK_PII}
    not_scanned = SourceRule(action=off)
    return Policy(
        version=version,
        detectors={
            "pii": DetectorPolicy(
                fail_mode=FailMode.CLOSED,
                latency_budget_ms=10.0,
                input=DirectionPolicy(
                    action=redact,
                    types={"person": TypeOverride(action=off)},
                    sources={Source.SYSTEM: SourceRule(action=off, types=high_risk_only)},
                ),
                output=DirectionPolicy(action=off, types=high_risk_only),
            ),
            "secrets": DetectorPolicy(
                fail_mode=FailMode.CLOSED,
                latency_budget_ms=10.0,
                input=DirectionPolicy(action=block),
                output=DirectionPolicy(action=redact),
            ),
            "injection": DetectorPolicy(
                fail_mode=FailMode.OPEN,
                latency_budget_ms=30.0,
                input=DirectionPolicy(
                    action=flag,
                    block_threshold=INJECTION_BLOCK_THRESHOLD,
                    sources={
                        Source.SYSTEM: not_scanned,
                        Source.ASSISTANT: not_scanned,
                        Source.TOOL_ARGUMENTS: not_scanned,
                    },
                ),
                output=DirectionPolicy(action=off),
            ),
            "bias": DetectorPolicy(
                fail_mode=FailMode.OPEN,
                latency_budget_ms=30.0,
                input=DirectionPolicy(
                    action=flag,
                    sources={
                        Source.SYSTEM: not_scanned,
                        Source.ASSISTANT: not_scanned,
                        Source.TOOL_ARGUMENTS: not_scanned,
                    },
                ),
                output=DirectionPolicy(action=flag, sources={Source.TOOL_ARGUMENTS: not_scanned}),
            ),
        },
    )
