"""A flag's rule (on or off, for whom, for what share) and the stable bucket of a percentage rollout.

A rule answers for one call, in this order:

1. ``enabled: false`` — off, whatever else the rule says;
2. the call's key is in ``keys``, or its tenant in ``tenants`` — on;
3. otherwise on for ``percent`` % of keys: the key's bucket for this flag,
   ``blake2b(flag + "\\0" + key id) mod 10,000``, is below ``percent * 100``.

The bucket depends on the flag's name and the key's id only: the same key always gets the same
answer on every replica and across restarts, raising the percentage only adds keys (a key that was
in stays in), and two flags at 30 % do not pick the same 30 % of keys.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import blake2b
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

BUCKETS = 10_000
_ID = Annotated[str, StringConstraints(min_length=1, max_length=64)]


@lru_cache(maxsize=65_536)
def bucket(flag: str, subject: str) -> int:
    """``subject``'s place (0..9999) in ``flag``'s rollout; memoised: the hot path hashes a key once."""
    digest = blake2b(f"{flag}\0{subject}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


class FlagRule(BaseModel):
    """Who a flag is on for. ``FlagRule(enabled=True)`` is on for everybody; ``enabled=False`` for nobody."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(description="Master switch: false turns the flag off for everybody in scope.")
    percent: float = Field(
        default=100.0,
        ge=0.0,
        le=100.0,
        allow_inf_nan=False,
        description="Share of keys (0 to 100, steps of 0.01) the flag is on for, by stable hashing.",
    )
    tenants: tuple[_ID, ...] = Field(
        default=(), max_length=1000, description="Tenant ids always on (installation-wide rules only)."
    )
    keys: tuple[_ID, ...] = Field(default=(), max_length=1000, description="Virtual key ids always on.")

    def compiled(self) -> CompiledRule:
        """The rule in the form the hot path evaluates (sets for the targets, an integer threshold)."""
        return CompiledRule(
            self.enabled, round(self.percent * 100), frozenset(self.tenants), frozenset(self.keys)
        )


class CompiledRule:
    """A ``FlagRule`` ready to answer: two set lookups and, for a partial rollout, one memoised hash."""

    __slots__ = ("enabled", "keys", "tenants", "threshold")

    def __init__(self, enabled: bool, threshold: int, tenants: frozenset[str], keys: frozenset[str]):
        self.enabled = enabled
        self.threshold = threshold  # buckets below it are on: percent x 100
        self.tenants = tenants
        self.keys = keys

    def decides(self, flag: str, tenant_id: str | None, key_id: str | None) -> bool:
        """The answer for one call of ``key_id`` (of ``tenant_id``)."""
        if not self.enabled:
            return False
        if key_id in self.keys or tenant_id in self.tenants:
            return True
        if self.threshold >= BUCKETS:
            return True
        subject = key_id if key_id is not None else tenant_id
        if self.threshold <= 0 or subject is None:
            return False  # a rollout picks keys (or, without one, tenants): nothing to pick
        return bucket(flag, subject) < self.threshold
