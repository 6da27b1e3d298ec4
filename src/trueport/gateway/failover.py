"""Trying a model alias's targets in order until one answers (before the first byte only).

Without ``resilience`` every target is tried once, in order. With it (``Resilience``):

- a target whose circuit breaker is open is skipped (no attempt is made or recorded);
- each attempt runs under a timeout: what is left of the request's deadline, at most
  ``attempt_timeout_s``; a stream's attempt includes reading its first chunk (``open_stream``);
- a failed attempt that could pass is retried on the same target, after a jittered backoff, within
  the retry budget; then failover moves on to the next target;
- every outcome goes to the target's breaker, except that a request the provider refused as invalid
  (its 400/404/413/422) is no failure of the target: it counts as a success and goes back to the
  client at once, as ``UpstreamRejected``.

``record.attempts`` counts attempts and ``record.targets_tried`` lists the target of each, in order, so
a retry shows as a repeated label. When no target answers the client gets ``all_failed``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog

from trueport import tracing
from trueport.errors import (
    UpstreamError,
    UpstreamFailed,
    UpstreamRejected,
    UpstreamStatus,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from trueport.gateway.router import Target
from trueport.limits.breaker import BreakerRegistry, Permit
from trueport.metrics import RETRY_BUDGET_EXHAUSTED, UPSTREAM_ATTEMPTS, UPSTREAM_RETRIES, Children
from trueport.providers.wrappers import Deadline, RetryBudget, RetryPolicy
from trueport.settings import ResilienceConfig
from trueport.usage.records import RequestRecordData

log = structlog.get_logger(__name__)

T = TypeVar("T")

_ATTEMPTS = Children(UPSTREAM_ATTEMPTS)


def _always(_target: Target) -> bool:
    return True


@dataclass(slots=True)
class Resilience:
    """Breakers, retries and the deadline, shared by every request of the process."""

    breakers: BreakerRegistry | None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    budget: RetryBudget = field(default_factory=RetryBudget)
    deadline_s: float = 120.0
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def from_config(cls, config: ResilienceConfig, breakers: BreakerRegistry | None) -> Resilience:
        return cls(
            breakers=breakers,
            retry=RetryPolicy.from_config(config),
            budget=RetryBudget.from_config(config),
            deadline_s=config.deadline_s,
        )


async def call_with_failover(
    targets: Sequence[Target],
    attempt: Callable[[Target], Awaitable[T]],
    record: RequestRecordData,
    available: Callable[[Target], bool] = _always,
    *,
    resilience: Resilience | None = None,
) -> tuple[Target, T]:
    """The first target's answer that arrives; ``UpstreamRejected`` or ``UpstreamFailed`` otherwise."""
    if resilience is not None:
        return await _Failover(attempt, record, resilience).run([t for t in targets if available(t)])
    errors: list[UpstreamError] = []
    for target in targets:
        if not available(target):
            continue
        record.attempts += 1
        record.targets_tried.append(target.label)
        try:
            return target, await attempt(target)
        except UpstreamError as exc:
            _log_failure(target, exc)
            if _rejected(exc):
                record.provider, record.upstream_model = target.provider, target.model
                raise rejected_by_upstream(record.alias, exc) from exc
            errors.append(exc)
    raise all_failed(errors, alias=record.alias)


class _Failover(Generic[T]):
    """One request's way through its targets, with breakers, retries and a deadline."""

    def __init__(
        self, attempt: Callable[[Target], Awaitable[T]], record: RequestRecordData, resilience: Resilience
    ):
        self._attempt = attempt
        self._record = record
        self._resilience = resilience
        self._deadline = Deadline(resilience.deadline_s)
        self.errors: list[UpstreamError] = []
        self.skipped: list[str] = []

    async def run(self, targets: Sequence[Target]) -> tuple[Target, T]:
        self._resilience.budget.deposit()
        for target in targets:
            if self._deadline.expired:
                self.errors.append(self._deadline_error(target))
                break
            answer = await self._try(target)
            if answer is not None:
                return target, answer[0]
        raise all_failed(self.errors, self.skipped, alias=self._record.alias)

    async def _try(self, target: Target) -> tuple[T] | None:
        """Attempts on one target: its answer, or None to move on to the next target."""
        resilience, label = self._resilience, target.label
        for number in range(1, resilience.retry.max_attempts + 1):
            if number > 1 and not await self._back_off(label, number - 1):
                return None
            permit = None
            if resilience.breakers is not None:
                permit = await resilience.breakers.allow(label)
                if permit is None:
                    if number == 1:
                        self.skipped.append(label)
                    return None
            answer = await self._attempt_once(target, permit)
            if answer is not None:
                return answer
        return None

    async def _back_off(self, label: str, retry: int) -> bool:
        """Wait before a retry if it may happen: a retryable error, time left, budget left."""
        resilience = self._resilience
        if not resilience.retry.retries(self.errors[-1]):
            return False
        delay = resilience.retry.backoff(retry, resilience.rng)
        if delay >= self._deadline.remaining():
            return False
        if not resilience.budget.try_spend():
            RETRY_BUDGET_EXHAUSTED.inc()
            return False
        UPSTREAM_RETRIES.labels(label).inc()
        await asyncio.sleep(delay)
        return True

    async def _attempt_once(self, target: Target, permit: Permit | None) -> tuple[T] | None:
        record = self._record
        record.attempts += 1
        record.targets_tried.append(target.label)
        limit_s = self._deadline.attempt_timeout(self._resilience.retry.attempt_timeout_s)
        if not tracing.active():
            return await self._attempt_timed(target, permit, limit_s)
        attributes: dict[str, str | int] = {
            "trueport.target": target.label,
            "trueport.provider": target.provider,
            "trueport.upstream_model": target.model,
            "trueport.attempt": record.attempts,
        }
        with tracing.span("provider.attempt", attributes):
            try:
                answer = await self._attempt_timed(target, permit, limit_s)
            except UpstreamRejected as exc:
                tracing.failed(exc)
                raise
            if answer is None:
                tracing.failed(self.errors[-1])
            return answer

    async def _attempt_timed(self, target: Target, permit: Permit | None, limit_s: float) -> tuple[T] | None:
        record, breakers = self._record, self._resilience.breakers
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit_s) as scope:
                result = await self._attempt(target)
        except UpstreamError as exc:
            error = exc
        except TimeoutError:
            if not scope.expired():
                raise
            error = UpstreamTimeout(
                f"{target.label}: no answer within {limit_s:.2f}s", provider=target.provider
            )
        except asyncio.CancelledError:
            _ATTEMPTS(target.label, "cancelled").inc()
            raise  # no outcome for the breaker; a probe's token expires by itself
        else:
            if permit is not None and breakers is not None:
                await breakers.record(permit, ok=True, duration_s=time.perf_counter() - started)
            _ATTEMPTS(target.label, "ok").inc()
            return (result,)
        rejected = _rejected(error)
        if permit is not None and breakers is not None:
            await breakers.record(permit, ok=rejected, duration_s=time.perf_counter() - started)
        _ATTEMPTS(target.label, _outcome(error)).inc()
        _log_failure(target, error)
        if rejected:
            record.provider, record.upstream_model = target.provider, target.model
            raise rejected_by_upstream(record.alias, error) from error
        self.errors.append(error)
        return None

    def _deadline_error(self, target: Target) -> UpstreamTimeout:
        return UpstreamTimeout(
            f"the request's deadline of {self._deadline.seconds:g}s passed before {target.label} was tried",
            provider=target.provider,
        )


def _rejected(error: UpstreamError) -> bool:
    """The provider refused the request itself (its fault is the client's, not the target's)."""
    return not error.retryable and isinstance(error, UpstreamStatus) and error.status is not None


def _outcome(error: UpstreamError) -> str:
    if isinstance(error, UpstreamTimeout):
        return "timeout"
    if isinstance(error, UpstreamUnavailable):
        return "unavailable"
    if error.status == 429:
        return "rate_limited"
    if error.status is not None and error.status >= 500:
        return "server_error"
    return "rejected" if _rejected(error) else "client_error"


def _log_failure(target: Target, error: UpstreamError) -> None:
    # The upstream's own text goes to the log only (its account key already taken out of it).
    log.info(
        "upstream_failed",
        target=target.label,
        error=error.error_class,
        status=error.status,
        detail=error.message[:500],
    )


def rejected_by_upstream(alias: str | None, error: UpstreamError) -> UpstreamRejected:
    """The client's answer when a target refused the request: its status, not its words."""
    status = error.status or 400
    return UpstreamRejected(
        f"the upstream of model {alias or ''!r} refused the request with HTTP {status}; "
        "the gateway's log has its reason under this request's id",
        status=status,
    )


def all_failed(
    errors: Sequence[UpstreamError], skipped: Sequence[str] = (), *, alias: str | None = None
) -> UpstreamFailed:
    """The client's answer when no target could serve: 429, 503 or 502 (see ``trueport.errors``).

    Targets skipped because their breaker is open count as unavailable: alone they make a 503. The
    message numbers the attempts (``attempt 2: timed out``), never naming a provider, model
    or the upstream's own words (which are logged).
    """
    name = repr(alias or "")
    skip_note = f"; circuit open for {len(skipped)} target(s)" if skipped else ""
    if not errors:
        if skipped:
            return UpstreamFailed(
                f"every target of model {name} is unavailable: circuit open for {len(skipped)} target(s)",
                status=503,
            )
        return UpstreamFailed(f"no target of model {name} is available", status=503)
    last = errors[-1]
    summary = (
        "; ".join(f"attempt {n}: {exc.public}" for n, exc in list(enumerate(errors, 1))[-3:]) + skip_note
    )
    if all(exc.status == 429 for exc in errors):
        return UpstreamFailed(
            f"every target of model {name} is rate-limited: {summary}", status=429, last=last
        )
    if all(isinstance(exc, UpstreamUnavailable) or exc.status == 503 for exc in errors):
        return UpstreamFailed(
            f"every target of model {name} is unavailable: {summary}", status=503, last=last
        )
    return UpstreamFailed(f"every target of model {name} failed: {summary}", status=502, last=last)
