"""The data plane's long-lived parts, built once at start-up and shared by every call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from trueport.errors import ModelNotFound, PermissionDenied, RateLimited, UpstreamFailed
from trueport.gateway.call import Call
from trueport.gateway.failover import Resilience, call_with_failover
from trueport.gateway.guarding import GuardService
from trueport.gateway.router import Router, Target
from trueport.keys.cache import KeyCache
from trueport.limits.ratelimit import RateLimiter
from trueport.settings import Settings
from trueport.state import State
from trueport.usage.writer import RecordWriter

T = TypeVar("T")

FALLBACK_HEADER = (b"x-trueport-fallback", b"true")


@dataclass(slots=True)
class Gateway:
    settings: Settings
    router: Router
    keys: KeyCache
    limiter: RateLimiter
    records: RecordWriter
    state: State
    resilience: Resilience | None = None
    guard: GuardService | None = None

    def authorize(self, call: Call, alias: str) -> tuple[Target, ...]:
        """The targets for ``alias`` if this call's key may use it now: 404, 403 or 429 otherwise."""
        key = call.key_info
        call.record.alias = alias
        targets = self.router.targets(alias)
        if targets is None:
            raise ModelNotFound(f"the model {alias!r} does not exist", param="model")
        if not key.allows(alias):
            raise PermissionDenied(f"this API key may not use the model {alias!r}", param="model")
        if key.rpm_limit is not None:
            decision = self.limiter.hit(key.id, key.rpm_limit)
            reset = f"{decision.reset_s:.0f}s".encode()
            call.headers += [
                (b"x-ratelimit-limit-requests", str(decision.limit).encode()),
                (b"x-ratelimit-remaining-requests", str(decision.remaining).encode()),
                (b"x-ratelimit-reset-requests", reset),
            ]
            if not decision.allowed:
                raise RateLimited(
                    f"rate limit of {decision.limit} requests per minute reached for this key",
                    headers={"retry-after": str(max(1, round(decision.reset_s)))},
                )
        return targets

    async def forward(
        self, call: Call, alias: str, targets: tuple[Target, ...], attempt: Callable[[Target], Awaitable[T]]
    ) -> tuple[Target, T]:
        """Try the alias's targets in order; if all fail and the alias has a fallback, answer with it."""
        try:
            return await call_with_failover(targets, attempt, call.record, resilience=self.resilience)
        except UpstreamFailed as failure:
            fallback = self.router.fallback(alias)
            if fallback is None:
                raise
            try:
                answer = await call_with_failover(
                    (fallback,), attempt, call.record, resilience=self.resilience
                )
            except UpstreamFailed:
                raise failure from None
            call.headers.append(FALLBACK_HEADER)
            call.record.fallback = True
            return answer
