"""Canonical chat content parts as translations read them, and the markers a translation leaves on
them for the guard (serialised as plain JSON)."""

from __future__ import annotations

from typing import Any

from trueport.errors import InvalidRequest


def text_only(content: object, where: str) -> list[str]:
    """The non-empty texts of a chat content that may hold only text (system, assistant, tool turns):
    a string or text/refusal parts; anything else is a 400 naming the part (``where``: the message)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or a list of parts", param=f"{where}.content")
    texts = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in ("text", "refusal") or not isinstance(part.get(kind), str):
            raise InvalidRequest(
                f"{where}.content[{j}]: only text parts are allowed here", param=f"{where}.content[{j}]"
            )
        if part[kind]:
            texts.append(part[kind])
    return texts


class DocumentPart(dict[str, Any]):
    """A ``text`` content part that holds an attached document (an Anthropic ``document`` block with
    a text source). It serialises like any dict; the guard scans it as ``Source.DOCUMENT``, not as
    the user's own words."""
