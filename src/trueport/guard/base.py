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
    PROMPT = "prompt"  # a user or system message
    DOCUMENT = "document"  # retrieved or pasted content inside a prompt
    TOOL_OUTPUT = "tool_output"  # a tool result sent back to the model
    COMPLETION = "completion"  # the model's answer
    TOOL_ARGUMENTS = "tool_arguments"  # arguments of a tool call the model made


@dataclass(frozen=True, slots=True)
class ScanContext:
    direction: Direction = Direction.INPUT
    source: Source = Source.PROMPT
    tenant_id: str | None = None


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
