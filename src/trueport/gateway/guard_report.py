"""What the guard did to one call, told to the application in the ``x-trueport-guard`` header.

    x-trueport-guard: redacted=2; flagged=injection,bias; answer_redacted=1; unscanned_parts=1

- ``redacted``: spans replaced by placeholders before the request reached the provider (they are
  restored in the answer);
- ``flagged``: detectors that flagged something (let through and recorded as a violation), in the
  request or the answer;
- ``answer_redacted``: spans of the answer redacted for good (high-risk data the model produced);
- ``unscanned_parts``: content parts of the request that are not text (images, audio, files), which
  the guard does not scan and which went to the provider as they were (also a ``guard`` /
  ``unscanned_parts`` flag in the call's violations).

The header is present only when something happened, and never carries content. A streamed answer's
header leaves with the first bytes, so it reports the request only; what the output guard did to a
stream is in the violation records (``GET /api/v1/violations``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trueport.guard.engine import Decision

HEADER = b"x-trueport-guard"


@dataclass(slots=True)
class GuardReport:
    redacted: int = 0
    answer_redacted: int = 0
    flagged: list[str] = field(default_factory=list)  # detector names, in the order they first flagged
    unscanned_parts: int = 0  # non-text content parts of the request (not scanned)

    def note_input(self, decision: Decision) -> None:
        self.redacted += len(decision.redactions)
        self._flags(decision)

    def note_output(self, decision: Decision) -> None:
        self.answer_redacted += len(decision.redactions)
        self._flags(decision)

    def _flags(self, decision: Decision) -> None:
        for applied in decision.flags:
            if applied.finding.detector not in self.flagged:
                self.flagged.append(applied.finding.detector)

    def header(self) -> tuple[bytes, bytes] | None:
        """The header for the response, or None when the guard changed and flagged nothing."""
        parts = []
        if self.redacted:
            parts.append(f"redacted={self.redacted}")
        if self.flagged:
            parts.append("flagged=" + ",".join(self.flagged))
        if self.answer_redacted:
            parts.append(f"answer_redacted={self.answer_redacted}")
        if self.unscanned_parts:
            parts.append(f"unscanned_parts={self.unscanned_parts}")
        return (HEADER, "; ".join(parts).encode()) if parts else None
