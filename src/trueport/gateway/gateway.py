"""The data plane's long-lived parts, built once at start-up and shared by every call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from trueport.audit.dataplane import AuditSink
from trueport.books.intake import BooksIntake
from trueport.errors import ModelNotFound, PermissionDenied, RegionUnavailable, UpstreamFailed
from trueport.events.bus import EventBus
from trueport.flags.evaluator import Flags
from trueport.flags.registry import Flag
from trueport.gateway.call import Call
from trueport.gateway.failover import Resilience, call_with_failover
from trueport.gateway.guarding import CallGuard, GuardService
from trueport.gateway.router import Router, Target
from trueport.gateway.tenant_routing import TenantRouting
from trueport.gateway.validation import check_model_name
from trueport.jsonutil import JSONObject
from trueport.keys.cache import KeyCache
from trueport.limits.budgets import Budgets
from trueport.limits.ratelimit import Limiter, Reservation
from trueport.limits.tokens import reservation_tokens
from trueport.regions import allowed_regions
from trueport.settings import Settings
from trueport.state import State

T = TypeVar("T")

FALLBACK_HEADER = (b"x-trueport-fallback", b"true")


@dataclass(slots=True)
class Gateway:
    settings: Settings
    routing: TenantRouting  # the config file's aliases and every tenant's own
    keys: KeyCache
    limiter: Limiter
    records: BooksIntake  # every finished call is handed to the recorder here
    state: State
    resilience: Resilience | None = None
    guard: GuardService | None = None
    budgets: Budgets | None = None  # None: no budget is enforced (the control plane is not open)
    audit: AuditSink | None = None  # None: calls are not audited
    events: EventBus | None = None  # the event bus (inference, budget, hitl, eval topics)
    flags: Flags = field(default_factory=Flags)  # feature flags, answered from memory
    active_calls: int = 0  # data-plane calls in progress (records are submitted when they end)

    @property
    def router(self) -> Router:
        """The config file's aliases alone (``routing`` adds the tenants' own)."""
        return self.routing.router

    def cache_ttl_s(self, tenant_id: str, alias: str, key_id: str | None = None) -> float | None:
        """The response-cache lifetime of ``alias`` as this tenant (and key) sees it; None: not cached
        (the alias has no cache, or the ``response_cache`` flag is off for the call)."""
        ttl_s = self.routing.cache_ttl_s(tenant_id, alias)
        if ttl_s is None or not self.flags.enabled(Flag.RESPONSE_CACHE, tenant_id=tenant_id, key_id=key_id):
            return None
        return ttl_s

    def guard_for(self, call: Call) -> CallGuard | None:
        """The guard of one call: its tenant's policy, plus the shadow trial if its flag is on for it."""
        if self.guard is None:
            return None
        key = call.key_info
        trial = bool(self.guard.config.shadow_trial) and self.flags.enabled(
            Flag.GUARD_SHADOW_TRIAL, tenant_id=key.tenant_id, key_id=key.id
        )
        return self.guard.for_call(key.tenant_id, shadow_trial=trial)

    async def authorize(self, call: Call, alias: str) -> tuple[Target, ...]:
        """The targets for ``alias`` if this call's key may use it now: 404, 403 or 429 otherwise."""
        key = call.key_info
        call.record.alias = check_model_name(alias)  # never a NUL or over-long name in a record
        targets = self.routing.targets(key.tenant_id, alias)
        if targets is None:
            raise ModelNotFound(f"the model {alias!r} does not exist", param="model")
        targets = self._flagged(targets, key.tenant_id, key.id)
        if not key.allows(alias):
            raise PermissionDenied(f"this API key may not use the model {alias!r}", param="model")
        targets = self._pinned(call, alias, targets)
        admission = await self.limiter.admit(key)
        call.headers += admission.headers()
        if not admission.allowed:
            raise admission.error()
        call.admission = admission
        return targets

    def _flagged(self, targets: tuple[Target, ...], tenant_id: str, key_id: str) -> tuple[Target, ...]:
        """``targets`` without those held back by a feature flag that is off for this call."""
        for target in targets:
            if target.flag is not None:
                break
        else:
            return targets  # the common case: nothing to evaluate
        return tuple(
            t
            for t in targets
            if t.flag is None or self.flags.enabled(t.flag, tenant_id=tenant_id, key_id=key_id)
        )

    def _pinned(self, call: Call, alias: str, targets: tuple[Target, ...]) -> tuple[Target, ...]:
        """``targets`` inside the regions the tenant and the alias allow (all of them if neither pins);
        403 ``region_unavailable`` if the alias has targets but none inside them."""
        key = call.key_info
        allowed = allowed_regions(key.tenant_regions, self.routing.regions(key.tenant_id, alias))
        if allowed is None:
            return targets  # the common case: one dict lookup
        call.record.allowed_regions = sorted(allowed)
        inside = tuple(t for t in targets if t.in_regions(allowed))
        if targets and not inside:
            raise RegionUnavailable(
                f"the model {alias!r} has no target in the regions this call is pinned to "
                f"({', '.join(sorted(allowed)) or 'none'})",
                param="model",
            )
        return inside

    async def reserve_tokens(self, call: Call, request: JSONObject) -> Reservation:
        """Hold the request's tokens against TPM limits: its prompt and its ``max_tokens`` (else the
        route's or the installation's default completion, within the limit). 429 if they do not fit
        now, 400 if they never could; either way the request is given back to the RPM count."""
        key = call.key_info
        limits = [limit for limit in (key.tpm_limit, key.tenant_tpm_limit) if limit is not None]
        default = self.routing.default_max_tokens(key.tenant_id, call.record.alias or "")
        tokens = reservation_tokens(
            request,
            default or self.settings.limits.default_max_tokens,
            limit=min(limits) if limits else None,
        )
        reservation = await self.limiter.reserve(key, tokens)
        call.headers += reservation.headers()
        if not reservation.allowed:
            if call.admission is not None:
                await self.limiter.release(call.admission)
            raise reservation.error()
        return reservation

    async def forward(
        self, call: Call, alias: str, targets: tuple[Target, ...], attempt: Callable[[Target], Awaitable[T]]
    ) -> tuple[Target, T]:
        """Try the alias's targets in order; if all fail and the alias has a fallback, answer with it."""
        try:
            answer = await call_with_failover(targets, attempt, call.record, resilience=self.resilience)
        except UpstreamFailed as failure:
            fallback = self.routing.fallback(call.key_info.tenant_id, alias)
            if fallback is None or not fallback.in_regions(_pinning(call)):
                raise
            try:
                answer = await call_with_failover(
                    (fallback,), attempt, call.record, resilience=self.resilience
                )
            except UpstreamFailed:
                raise failure from None
            call.headers.append(FALLBACK_HEADER)
            call.record.fallback = True
        call.record.region = answer[0].region
        return answer


def _pinning(call: Call) -> frozenset[str] | None:
    """The regions ``authorize`` pinned the call to (None: not pinned)."""
    allowed = call.record.allowed_regions
    return frozenset(allowed) if allowed is not None else None
