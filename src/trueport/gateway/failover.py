"""Trying a model alias's targets in order until one answers (before the first byte only).

This is the seam where circuit breakers and retries plug in later: ``available`` decides whether a
target is tried at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog

from trueport.errors import (
    UpstreamError,
    UpstreamFailed,
    UpstreamRejected,
    UpstreamStatus,
    UpstreamUnavailable,
)
from trueport.gateway.router import Target
from trueport.usage.records import RequestRecordData

log = structlog.get_logger(__name__)

T = TypeVar("T")


def _always(_target: Target) -> bool:
    return True


async def call_with_failover(
    targets: Sequence[Target],
    attempt: Callable[[Target], Awaitable[T]],
    record: RequestRecordData,
    available: Callable[[Target], bool] = _always,
) -> tuple[Target, T]:
    errors: list[UpstreamError] = []
    for target in targets:
        if not available(target):
            continue
        record.attempts += 1
        record.targets_tried.append(target.label)
        try:
            return target, await attempt(target)
        except UpstreamError as exc:
            log.info("upstream_failed", target=target.label, error=exc.error_class, status=exc.status)
            if not exc.retryable and isinstance(exc, UpstreamStatus) and exc.status is not None:
                record.provider, record.upstream_model = target.provider, target.model
                raise UpstreamRejected(exc.message, status=exc.status) from exc
            errors.append(exc)
    raise all_failed(errors)


def all_failed(errors: Sequence[UpstreamError]) -> UpstreamFailed:
    """The client's answer when no target could serve: 429, 503 or 502 (see ``trueport.errors``)."""
    last = errors[-1] if errors else None
    if not errors:
        return UpstreamFailed("no target is available for this model", status=503)
    summary = "; ".join(exc.message for exc in errors[-3:])
    if all(exc.status == 429 for exc in errors):
        return UpstreamFailed(f"every target is rate-limited: {summary}", status=429, last=last)
    if all(isinstance(exc, UpstreamUnavailable) or exc.status == 503 for exc in errors):
        return UpstreamFailed(f"every target is unavailable: {summary}", status=503, last=last)
    return UpstreamFailed(f"every target failed: {summary}", status=502, last=last)
