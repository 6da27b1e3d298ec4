"""Region names and region pinning: which regions a tenant's or a route's calls may be served from.

A provider's region is what its cloud calls it (``eu-west-1``, ``europe-west4``, ``eastus``); the
gateway only compares names, it never infers one from a URL. A tenant and a model alias may each be
restricted to a set of allowed regions; a call may go only to targets whose region is in both sets.
A target with no region is outside every pinning. ``None`` means "not pinned".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import StringConstraints

REGION_PATTERN = r"^[a-z][a-z0-9-]{0,62}[a-z0-9]$"
MAX_REGIONS = 20  # allowed regions of one tenant or one route

RegionName = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]


def region_set(names: Iterable[str] | None) -> frozenset[str] | None:
    """The allowed regions as a set; None (not pinned) for None."""
    return frozenset(names) if names is not None else None


def allowed_regions(*pinnings: frozenset[str] | None) -> frozenset[str] | None:
    """The regions every pinning allows (their intersection); None when none of them pins."""
    result: frozenset[str] | None = None
    for pinning in pinnings:
        if pinning is not None:
            result = pinning if result is None else result & pinning
    return result
