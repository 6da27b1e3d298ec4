"""Deterministic embeddings: a unit vector derived from a hash of the text."""

from __future__ import annotations

import base64
import hashlib
import math
import struct

DEFAULT_DIMENSIONS = 8
MAX_DIMENSIONS = 8192


def embed(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A unit vector of ``dimensions`` float32 values; the same text always gives the same vector.

    Values are rounded to float32 so the JSON and base64 encodings of a vector agree exactly.
    """
    digest = hashlib.shake_256(text.encode()).digest(4 * dimensions)
    raw = struct.unpack(f"<{dimensions}I", digest)
    values = [value / 0x7FFFFFFF - 1.0 for value in raw]
    norm = math.sqrt(sum(value * value for value in values)) or 1.0
    packed = struct.pack(f"<{dimensions}f", *(value / norm for value in values))
    return list(struct.unpack(f"<{dimensions}f", packed))


def to_base64(vector: list[float]) -> str:
    """The little-endian float32 encoding OpenAI uses for ``encoding_format: "base64"``."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
