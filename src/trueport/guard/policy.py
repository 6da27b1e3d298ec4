"""A tenant's guard policy: what each detector does, per direction, and what happens when it fails.

A policy is data (a frozen pydantic model, stored as JSON) with a ``version`` that goes into every
violation record, so that a decision can always be explained by the exact policy that made it.

    Policy
    ├── version, shadow, restore_in_tool_arguments, store_bodies
    └── detectors: {name: DetectorPolicy}
        ├── mode (inline | async), latency_budget_ms, fail_mode (open | closed), shadow
        └── input / output: DirectionPolicy
            ├── action (block | redact | flag | off), threshold (None: the detector's default)
            ├── fail_mode (None: the detector's)
            └── types: {finding type: TypeOverride(action, threshold)}

A detector the policy does not name is off. A finding counts when its score reaches the threshold
of its type (or of its direction); its action is the type's (or the direction's). ``shadow`` (on the
policy or on one detector) computes and records everything and enforces nothing.

Why the defaults of ``default_policy()`` are what they are:

- **Input PII is redacted, not blocked**, every type of it (emails, phones, names, addresses, and
  also credit cards, SSNs, IBANs): the model rarely needs the value itself to answer, the user gets
  it back in the answer (reversible placeholders), and a blocked request is a support ticket.
  A tenant that must refuse payment data outright overrides ``credit_card`` to ``block``.
- **Input secrets are blocked**: a key pasted into a prompt is an exfiltration attempt or an
  accident; in both cases the provider must never see it, and a placeholder would hide the mistake.
- **Input injection is blocked** and **bias is only flagged**: injection attempts have no legitimate
  use; bias scores are judgements that a human reviews, not a reason to refuse service.
- **Output PII and secrets are redacted** (permanently: an output placeholder is never restored):
  the answer may carry data the user did not give (from tool results or the model's memory).
  Output injection is off: injected instructions matter on the way *in* to the model.
- **Fail modes**: ``secrets`` and ``pii`` fail **closed** (a crash or a missing detector blocks the
  request with ``guard_unavailable``): their rules are cheap and deterministic, so a failure is a
  bug worth surfacing, and failing open would silently break the promise that keys and personal
  data do not leave. ``injection`` and ``bias`` fail **open** (the request goes on and the failure is
  recorded): they are statistical models whose outage must not take the gateway down with them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from trueport.errors import TruePortError
from trueport.guard.base import Direction
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


class DirectionPolicy(_Strict):
    action: Action = Action.OFF
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the detector's default
    fail_mode: FailMode | None = None  # None: the detector's
    types: dict[str, TypeOverride] = Field(default_factory=dict)

    @field_validator("types")
    @classmethod
    def _type_names(cls, value: dict[str, TypeOverride]) -> dict[str, TypeOverride]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"finding type {name!r} must match {_NAME.pattern}")
        return value

    @property
    def active(self) -> bool:
        """Whether anything in this direction can produce a non-``off`` action."""
        return self.action is not Action.OFF or any(
            o.action not in (None, Action.OFF) for o in self.types.values()
        )

    def actions(self) -> set[Action]:
        return {self.action} | {o.action for o in self.types.values() if o.action is not None}


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


class Policy(_Strict):
    version: int = Field(ge=1)
    shadow: bool = False  # evaluate and record everything, enforce nothing
    detectors: dict[str, DetectorPolicy] = Field(default_factory=dict)
    restore_in_tool_arguments: bool = False  # may input placeholders be restored into tool-call arguments
    store_bodies: bool = False  # may the audit trail keep (redacted) prompt and answer bodies

    @field_validator("detectors")
    @classmethod
    def _detector_names(cls, value: dict[str, DetectorPolicy]) -> dict[str, DetectorPolicy]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"detector name {name!r} must match {_NAME.pattern}")
        return value

    def detector(self, name: str) -> DetectorPolicy | None:
        return self.detectors.get(name)

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


def default_policy(version: int = 1) -> Policy:
    """The policy a new tenant starts with (see the module docstring for the reasoning)."""
    redact, block, flag, off = Action.REDACT, Action.BLOCK, Action.FLAG, Action.OFF
    return Policy(
        version=version,
        detectors={
            "pii": DetectorPolicy(
                fail_mode=FailMode.CLOSED,
                latency_budget_ms=10.0,
                input=DirectionPolicy(action=redact),
                output=DirectionPolicy(action=redact),
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
                input=DirectionPolicy(action=block),
                output=DirectionPolicy(action=off),
            ),
            "bias": DetectorPolicy(
                fail_mode=FailMode.OPEN,
                latency_budget_ms=30.0,
                input=DirectionPolicy(action=flag),
                output=DirectionPolicy(action=flag),
            ),
        },
    )
