"""Markers that a translation leaves on canonical chat parts for the guard (serialised as plain JSON)."""

from __future__ import annotations

from typing import Any


class DocumentPart(dict[str, Any]):
    """A ``text`` content part that holds an attached document (an Anthropic ``document`` block with
    a text source). It serialises like any dict; the guard scans it as ``Source.DOCUMENT``, not as
    the user's own words."""
