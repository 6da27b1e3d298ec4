"""Usage numbers from an upstream, checked before they reach the books.

An upstream (a tenant's own server behind a credential, or a broken provider) may answer any JSON in
``usage``. A count is used only if it is an integer from 0 to ``MAX_UPSTREAM_TOKENS`` (an integral
float such as ``12.0`` counts as its integer); absent or ``null`` counts as 0, as before. Anything
else (negative, over the bound, ``"many"``, ``1.5``, NaN, ``true``) makes the whole usage invalid:
the call is recorded with ``upstream_usage_invalid`` and its tokens are the gateway's own estimate
(``estimated_usage``), so neither a tenant's totals nor a Prometheus counter can go negative or
overflow a column.

The bound, 10**9 tokens per call, is about a thousand times the largest context window offered today
and keeps any sum of a month's calls far inside a 64-bit column.
"""

from __future__ import annotations

import math

from trueport.jsonutil import JSONObject
from trueport.limits.tokens import estimate_prompt_tokens
from trueport.providers.base import Usage

MAX_UPSTREAM_TOKENS = 10**9

_MAX_TOKEN_FIELDS = ("max_completion_tokens", "max_tokens", "max_output_tokens")


def upstream_count(value: object) -> int | None:
    """A usage count as an upstream sent it: the count, 0 when absent, None when unusable."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_UPSTREAM_TOKENS:
        return None
    return value


def checked_usage(prompt: object, completion: object, cached: object = None) -> Usage:
    """``Usage`` from three raw counts; ``Usage(invalid=True)`` if any is unusable."""
    counts = (upstream_count(prompt), upstream_count(completion), upstream_count(cached))
    if counts[0] is None or counts[1] is None or counts[2] is None:
        return Usage(invalid=True)
    return Usage(
        prompt_tokens=counts[0], completion_tokens=counts[1], cached_tokens=min(counts[2], counts[0])
    )


def estimated_usage(request: JSONObject, default_max_tokens: int) -> Usage:
    """The gateway's own count for a call whose upstream usage was invalid: the prompt as the rate
    limiter estimates it, the completion as the most the request allowed (``max_completion_tokens``
    or ``max_tokens``, else ``limits.default_max_tokens``)."""
    completion = default_max_tokens
    for field in _MAX_TOKEN_FIELDS:
        value = request.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_UPSTREAM_TOKENS:
            completion = value
            break
    prompt = min(estimate_prompt_tokens(request), MAX_UPSTREAM_TOKENS)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, invalid=True)
