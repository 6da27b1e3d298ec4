"""What every detector implements and returns.

A detector takes text and a context and returns findings. It is synchronous and CPU-bound: the
caller decides whether it runs inline, in a thread, or on a queue. Findings never carry the matched
text itself (only offsets), so that they can be stored and logged without leaking what they found.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol


class Direction(StrEnum):
    INPUT = "input"  # what goes to the provider
    OUTPUT = "output"  # what comes back


class Source(StrEnum):
    """Where a scanned text came from: policies act per source (see ``trueport.guard.policy``)."""

    SYSTEM = "system"  # the application's system or developer prompt
    USER = "user"  # a user turn (what the application's user typed or pasted)
    ASSISTANT = "assistant"  # an earlier assistant turn in the conversation history
    TOOL_OUTPUT = "tool_output"  # a tool or function result sent back to the model
    TOOL_ARGUMENTS = "tool_arguments"  # arguments of a tool call the model made
    DOCUMENT = "document"  # a document or file attached to a message (Anthropic document blocks)
    COMPLETION = "completion"  # the model's answer (plain or streamed)
    PROMPT = "prompt"  # a text of unknown role (the scan API without a role): treated like a user turn


@dataclass(frozen=True, slots=True)
class ScanContext:
    direction: Direction = Direction.INPUT
    source: Source = Source.PROMPT
    tenant_id: str | None = None
    # The finding types the caller can act on (None: any). A detector may skip the work that can only
    # find other types (the PII detector skips its name/address model when only cards are wanted).
    types: frozenset[str] | None = None
    # With ``types`` None, the types the caller will not act on (a policy that redacts PII but leaves
    # names alone): a detector may skip the work that can only find these.
    ignored: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Finding:
    detector: str  # "pii", "secrets", "injection", "bias"
    type: str  # e.g. "email", "credit_card", "aws_access_key", "prompt_injection", "stereotype"
    start: int | None  # character offsets into the scanned text; None for whole-text verdicts
    end: int | None
    score: float  # 0..1, comparable with the detector's thresholds

    def as_dict(self) -> dict[str, object]:
        return {
            "detector": self.detector,
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
        }


class Detector(Protocol):
    name: ClassVar[str]
    default_threshold: ClassVar[float]  # findings scoring at or above this count as violations by default

    def scan(self, text: str, context: ScanContext) -> list[Finding]: ...
