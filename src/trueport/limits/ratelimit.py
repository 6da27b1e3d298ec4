"""Requests and tokens per minute, per key and per tenant, shared by every replica.

The gateway asks, per request::

    admission = await limiter.admit(key)                 # requests per minute, key and tenant
    call.headers += admission.headers()
    if not admission.allowed:
        raise admission.error()                          # 429; retry-after is in headers()
    reservation = await limiter.reserve(key, reservation_tokens(request, default_max_tokens))
    call.headers += reservation.headers()
    if not reservation.allowed:
        raise reservation.error()
    ...                                                  # forward
    await limiter.settle(reservation, usage.total_tokens)  # or 0 if nothing was used (a refund)

Each of ``admit`` and ``reserve`` is one state operation (one Redis round trip, key and tenant
together, all or nothing: a request the tenant's limit refuses does not use up the key's), and none
at all for a key and tenant without limits. Time is the state's shared clock (Redis ``TIME``).

Modes (``limits.mode``):

- ``fixed``: one counter per UTC minute: ``rate_limit:{key_id}:{YYYY-MM-DD-HH-MM}`` and
  ``rate_limit:tenant:{tenant_id}:{...}`` for requests, ``token_limit:{key_id}:{...}`` and
  ``token_limit:tenant:{tenant_id}:{...}`` for tokens; each expires 60 s after its first use. Exact
  within the minute; a burst across a minute's edge may get up to twice the limit in a moment.
- ``gcra``: one cell per key and tenant (``rate_limit:gcra:{key_id}``, ``rate_limit:gcra:tenant:{id}``,
  ``token_limit:gcra:...``): requests pass at an even pace with at most ``gcra_burst_s`` seconds'
  worth of the limit at once; tokens may take up to the whole minute's limit at once (a request can
  need thousands, and a smaller bucket would refuse it for ever), then refill evenly.

Settling a token reservation: the difference between the tokens used and those reserved goes to
the same counters. In ``fixed`` mode, if the minute has rolled over since the reservation, a refund
is dropped (that window no longer limits anything) and an overshoot is charged to the current
minute (the tokens were used now; the limit must still see them). In ``gcra`` mode there is no edge.

While Redis is unreachable, each replica enforces ``limits.local_share`` of every limit on its own
(``trueport.state.fallback``) and reports that local limit in its headers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from trueport.errors import RateLimited, TokenLimitExceeded
from trueport.keys.cache import KeyInfo
from trueport.settings import LimitsConfig
from trueport.state.protocols import Cell, Paced, Reserved, State, Window

WINDOW_S = 60
_Headers = list[tuple[bytes, bytes]]


class Scope(StrEnum):
    KEY = "key"
    TENANT = "tenant"


class Unit(StrEnum):
    REQUESTS = "requests"
    TOKENS = "tokens"


_HEADER_NAMES = {
    unit: tuple(f"x-ratelimit-{kind}-{unit.value}".encode() for kind in ("limit", "remaining", "reset"))
    for unit in Unit
}


@dataclass(frozen=True, slots=True)
class Quota:
    """One limit as it stands after a decision."""

    scope: Scope
    limit: int  # per minute (the local share while the state is degraded)
    remaining: int
    reset_s: float  # until the limit is whole again


@dataclass(frozen=True, slots=True)
class LimitDecision:
    """A decision on one unit (requests or tokens) for the key and its tenant."""

    unit: Unit
    allowed: bool
    quotas: tuple[Quota, ...]  # the key's, then the tenant's; only those with a limit
    refused_by: Quota | None = None
    retry_after_s: float = 0.0  # 0 when allowed
    requested: int = 1  # units asked for (1 request; the tokens of a reservation)

    @property
    def reported(self) -> Quota | None:
        """The quota the headers show: the one that refused, else the one with the least left."""
        if self.refused_by is not None:
            return self.refused_by
        return min(self.quotas, key=lambda quota: quota.remaining, default=None)

    @property
    def limit(self) -> int | None:
        quota = self.reported
        return quota.limit if quota is not None else None

    @property
    def remaining(self) -> int | None:
        quota = self.reported
        return quota.remaining if quota is not None else None

    @property
    def reset_s(self) -> float | None:
        quota = self.reported
        return quota.reset_s if quota is not None else None

    @property
    def never_fits(self) -> bool:
        """Refused because the request alone asks for more tokens than a whole minute allows."""
        quota = self.refused_by
        return self.unit is Unit.TOKENS and quota is not None and self.requested > quota.limit

    def headers(self) -> _Headers:
        """OpenAI's ``x-ratelimit-{limit,remaining,reset}-{unit}``, and ``retry-after`` if refused
        (not when waiting cannot help: ``never_fits``)."""
        quota = self.reported
        if quota is None:
            return []
        limit_name, remaining_name, reset_name = _HEADER_NAMES[self.unit]
        headers = [
            (limit_name, str(quota.limit).encode()),
            (remaining_name, str(quota.remaining).encode()),
            (reset_name, duration(quota.reset_s).encode()),
        ]
        if not self.allowed and not self.never_fits:
            headers.append((b"retry-after", str(max(1, math.ceil(self.retry_after_s))).encode()))
        return headers

    @property
    def message(self) -> str:
        quota = self.refused_by
        if quota is None:
            return "allowed"
        scope, unit = quota.scope.value, self.unit.value
        if self.never_fits:
            return (
                f"this request may use up to {self.requested} {unit}, more than the {scope}'s limit of "
                f"{quota.limit} {unit} per minute; lower max_tokens or shorten the input"
            )
        return f"rate limit of {quota.limit} {unit} per minute reached for this {scope}"

    def error(self) -> RateLimited | TokenLimitExceeded:
        """The 429 to raise (its ``retry-after`` is in ``headers()``, which the response carries), or a
        400 for a request that could never fit: retrying it, as SDKs do on a 429, cannot succeed."""
        if self.never_fits:
            return TokenLimitExceeded(self.message, param="max_tokens")
        return RateLimited(self.message)


@dataclass(frozen=True, slots=True)
class Charge:
    """What ``settle`` adjusts: fixed-window counters (``prefixes`` + minute) or GCRA cells."""

    window: int = -1  # the minute (epoch minutes) the tokens were counted in
    prefixes: tuple[str, ...] = ()
    cells: tuple[Cell, ...] = ()


@dataclass(frozen=True, slots=True)
class Admission(LimitDecision):
    """Requests per minute: the outcome of ``Limiter.admit``; ``Limiter.release`` gives it back."""

    charge: Charge | None = None  # None: nothing was counted (no limit, or refused)


@dataclass(frozen=True, slots=True)
class Reservation(LimitDecision):
    """Tokens per minute held for one request: the outcome of ``Limiter.reserve``; settle it once."""

    charge: Charge | None = None  # None: nothing was counted (no limit, or refused)

    @property
    def tokens(self) -> int:
        return self.requested


def duration(seconds: float) -> str:
    """``250ms``, ``1.5s``, ``1m0s``: the form of OpenAI's reset headers."""
    millis = max(0, math.ceil(seconds * 1000))
    if millis < 1000:
        return f"{millis}ms"
    minutes, millis = divmod(millis, 60_000)
    text = f"{millis / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{minutes}m{text}" if minutes else text


_NO_REQUEST_LIMIT = Admission(Unit.REQUESTS, True, ())


class Limiter:
    """RPM and TPM per key and per tenant over a ``State`` (memory or Redis: it does not know which)."""

    def __init__(self, state: State, config: LimitsConfig, *, clock: Callable[[], float] | None = None):
        self._state = state
        self._gcra = config.mode == "gcra"
        self._burst_share = config.gcra_burst_s / WINDOW_S
        self._clock: Callable[[], float] = clock if clock is not None else state.now
        self._minute_index = -1
        self._minute_text = ""
        self._plans: dict[tuple[str, str, str, int | None, int | None], _Plan] = {}

    def _plan(self, unit: str, key: KeyInfo, key_limit: int | None, tenant_limit: int | None) -> _Plan:
        """The key's limits of one unit and their state keys, built once (not per request)."""
        index = (unit, key.id, key.tenant_id, key_limit, tenant_limit)
        plan = self._plans.get(index)
        if plan is None:
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            scopes = _scopes(key, key_limit, tenant_limit)
            plan = _Plan(scopes, tuple(f"{unit}:{name}" for _, name, _ in scopes))
            self._plans[index] = plan
        return plan

    def _windows(self, plan: _Plan, now: float) -> list[Window]:
        """The plan's fixed windows for the minute of ``now`` (made once a minute)."""
        index = int(now // WINDOW_S)
        if plan.minute != index:
            minute = self._minute(now)
            plan.windows = [
                Window(f"{prefix}:{minute}", limit)
                for prefix, (_, _, limit) in zip(plan.prefixes, plan.scopes, strict=True)
            ]
            plan.minute = index
        return plan.windows

    async def admit(self, key: KeyInfo) -> Admission:
        """Count one request against the key's and the tenant's requests per minute, or refuse it."""
        plan = self._plan("rate_limit", key, key.rpm_limit, key.tenant_rpm_limit)
        scopes = plan.scopes
        if not scopes:
            return _NO_REQUEST_LIMIT
        now = self._clock()
        if self._gcra:
            cells = [
                Cell(f"rate_limit:gcra:{name}", limit, WINDOW_S, max(1, int(limit * self._burst_share)))
                for _, name, limit in scopes
            ]
            paced = await self._state.cells.acquire(cells, 1, now)
            charge = Charge(cells=tuple(cells)) if paced.admitted else None
            return Admission(Unit.REQUESTS, paced.admitted, *_from_cells(scopes, paced), charge=charge)
        windows = self._windows(plan, now)
        reserved = await self._state.counters.reserve(windows, 1, WINDOW_S)
        charge = Charge(window=int(now // WINDOW_S), prefixes=plan.prefixes) if reserved.admitted else None
        return Admission(
            Unit.REQUESTS, reserved.admitted, *_from_windows(scopes, reserved, now), charge=charge
        )

    async def release(self, admission: Admission) -> None:
        """Give back an admitted request that was refused later (its tokens): it does not count."""
        charge = admission.charge
        if charge is None:
            return
        now = self._clock()
        if charge.cells:
            await self._state.cells.adjust(charge.cells, -1, now)
        elif int(now // WINDOW_S) == charge.window:
            minute = self._minute(now)
            await self._state.counters.add([f"{prefix}:{minute}" for prefix in charge.prefixes], -1, WINDOW_S)

    async def reserve(self, key: KeyInfo, tokens: int) -> Reservation:
        """Hold ``tokens`` (prompt estimate + max completion) against the key's and tenant's TPM."""
        tokens = max(0, tokens)
        plan = self._plan("token_limit", key, key.tpm_limit, key.tenant_tpm_limit)
        scopes = plan.scopes
        if not scopes:
            return Reservation(Unit.TOKENS, True, (), requested=tokens)
        now = self._clock()
        if self._gcra:
            cells = tuple(
                Cell(f"token_limit:gcra:{name}", limit, WINDOW_S, limit) for _, name, limit in scopes
            )
            paced = await self._state.cells.acquire(cells, tokens, now)
            charge = Charge(cells=cells) if paced.admitted else None
            return Reservation(
                Unit.TOKENS, paced.admitted, *_from_cells(scopes, paced), requested=tokens, charge=charge
            )
        windows = self._windows(plan, now)
        reserved = await self._state.counters.reserve(windows, tokens, WINDOW_S)
        charge = Charge(window=int(now // WINDOW_S), prefixes=plan.prefixes) if reserved.admitted else None
        return Reservation(
            Unit.TOKENS,
            reserved.admitted,
            *_from_windows(scopes, reserved, now),
            requested=tokens,
            charge=charge,
        )

    async def settle(self, reservation: Reservation, actual_tokens: int) -> None:
        """Correct a reservation to the tokens really used (0 refunds it all). Call once per reservation."""
        charge = reservation.charge
        delta = max(0, actual_tokens) - reservation.tokens
        if charge is None or delta == 0:
            return
        now = self._clock()
        if charge.cells:
            await self._state.cells.adjust(charge.cells, delta, now)
            return
        if delta < 0 and int(now // WINDOW_S) != charge.window:
            return  # the minute rolled over: a refund to a finished window changes nothing
        # The same minute: correct it. A later one: the overshoot was used now, so it counts now.
        minute = self._minute(now)
        await self._state.counters.add([f"{prefix}:{minute}" for prefix in charge.prefixes], delta, WINDOW_S)

    async def refund(self, reservation: Reservation) -> None:
        """Give a reservation back whole (the request used no tokens)."""
        await self.settle(reservation, 0)

    def _minute(self, now: float) -> str:
        index = int(now // WINDOW_S)
        if index != self._minute_index:
            self._minute_text = time.strftime("%Y-%m-%d-%H-%M", time.gmtime(index * WINDOW_S))
            self._minute_index = index
        return self._minute_text


_ScopeLimit = tuple[Scope, str, int]  # scope, its name in state keys, its limit
_MAX_PLANS = 100_000  # keys seen by this process; past it the plans are simply made again


@dataclass(slots=True)
class _Plan:
    """One key's limits of one unit (``_scopes``), their state key prefixes, this minute's windows."""

    scopes: list[_ScopeLimit]
    prefixes: tuple[str, ...]
    minute: int = -1  # the epoch minute of ``windows``
    windows: list[Window] = field(default_factory=list)


def _scopes(key: KeyInfo, key_limit: int | None, tenant_limit: int | None) -> list[_ScopeLimit]:
    scopes = []
    if key_limit is not None:
        scopes.append((Scope.KEY, key.id, key_limit))
    if tenant_limit is not None:
        scopes.append((Scope.TENANT, f"tenant:{key.tenant_id}", tenant_limit))
    return scopes


def _from_windows(
    scopes: Sequence[_ScopeLimit], reserved: Reserved, now: float
) -> tuple[tuple[Quota, ...], Quota | None, float]:
    reset = WINDOW_S - now % WINDOW_S
    quotas = tuple(
        Quota(scope, limit, max(0, limit - count), reset)
        for (scope, _, _), count, limit in zip(scopes, reserved.counts, reserved.limits, strict=True)
    )
    if reserved.refused is None:
        return quotas, None, 0.0
    return quotas, quotas[reserved.refused], reset


def _from_cells(scopes: Sequence[_ScopeLimit], paced: Paced) -> tuple[tuple[Quota, ...], Quota | None, float]:
    quotas = tuple(
        Quota(scope, limit, cell.remaining, cell.reset_s)
        for (scope, _, _), cell, limit in zip(scopes, paced.cells, paced.limits, strict=True)
    )
    if paced.refused is None:
        return quotas, None, 0.0
    return quotas, quotas[paced.refused], paced.cells[paced.refused].retry_after_s
