"""The text the PII recognisers read: invisible characters dropped, look-alike punctuation folded.

``john\\u200b.doe@example.com`` (a zero-width space), ``john\\u00ad.doe`` (a soft hyphen) or
``john.doe@example\\u3002com`` (an ideographic full stop) reads as an e-mail address to a person and
to a model, but not to a regular expression. ``fold(text)`` removes zero-width, joiner, bidi-control
and soft-hyphen characters and maps full-width ASCII (``\\uff4a\\uff4f...\\uff20``), ideographic
and small-form punctuation to plain ASCII. Every kept character becomes exactly one character, so
``FoldedText.span`` maps a span of the folded text back to the original: redaction then replaces the
original characters, the hidden ones between them included.

Plain ASCII text (most traffic) is returned as it is, at the cost of one ``str.isascii``.
"""

from __future__ import annotations

from dataclasses import dataclass

from trueport.guard.normalize import INVISIBLE_CHARS

# One character in, one character out (or none): offsets stay mappable.
_TABLE: dict[int, str | None] = {ord(c): None for c in INVISIBLE_CHARS}
_TABLE.update({cp: None for cp in range(0xFE00, 0xFE10)})  # variation selectors
_TABLE.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)})  # full-width ASCII
_TABLE.update(
    {
        0x3000: " ",  # ideographic space
        0x3002: ".",  # ideographic full stop
        0xFF61: ".",  # half-width ideographic full stop
        0xFE52: ".",  # small full stop
        0x2024: ".",  # one dot leader
        0xFE6B: "@",  # small commercial at
        0xFE63: "-",  # small hyphen-minus
        0x2010: "-",  # hyphen
        0x2011: "-",  # non-breaking hyphen
        0xFE50: ",",  # small comma
        0x3001: ",",  # ideographic comma
    }
)
_CHANGED = frozenset(chr(cp) for cp in _TABLE)


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A folded text and, when folding changed it, the original offset of each of its characters."""

    text: str
    origin: tuple[int, ...] | None = None

    @property
    def changed(self) -> bool:
        return self.origin is not None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]`` (a non-empty span)."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def fold(text: str) -> FoldedText:
    """``text`` with invisible characters dropped and look-alike punctuation folded to ASCII."""
    if text.isascii() or _CHANGED.isdisjoint(text):
        return FoldedText(text)
    folded = text.translate(_TABLE)
    origin = tuple(i for i, c in enumerate(text) if _TABLE.get(ord(c), c) is not None)
    return FoldedText(folded, origin)
