"""JSON on the data plane: orjson, with one place that says how."""

from __future__ import annotations

from typing import Any

import orjson

JSONObject = dict[str, Any]

dumps = orjson.dumps
loads = orjson.loads
JSONDecodeError = orjson.JSONDecodeError


def loads_object(data: bytes | str) -> JSONObject:
    """Parse JSON that must be an object; raises ValueError otherwise."""
    value = orjson.loads(data)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value
