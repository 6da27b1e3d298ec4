"""What the two fuzzing suites share: Hypothesis settings (fixed seed) and JSON values of every kind."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def fuzz_settings(default_examples: int) -> settings:
    """Derandomised (a CI failure reproduces), no example database; ``TRUEPORT_FUZZ_EXAMPLES`` overrides."""
    return settings(
        max_examples=int(os.environ.get("TRUEPORT_FUZZ_EXAMPLES", str(default_examples))),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def json_values(
    scalar: st.SearchStrategy[Any], key: st.SearchStrategy[str], *, max_size: int, max_leaves: int
) -> st.SearchStrategy[Any]:
    """Nested JSON (lists and objects of up to ``max_size``) with ``scalar`` leaves and ``key`` keys."""
    return st.recursive(
        scalar,
        lambda children: st.one_of(
            st.lists(children, max_size=max_size), st.dictionaries(key, children, max_size=max_size)
        ),
        max_leaves=max_leaves,
    )


def encode(value: Any) -> bytes:
    """JSON as a client or an upstream would send it (UTF-8, no NaN)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass")
