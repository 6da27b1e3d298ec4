"""Prometheus metrics: one registry for the whole process, every metric defined here.

Serve it with ``prometheus_client.generate_latest(REGISTRY)`` (content type ``CONTENT_TYPE_LATEST``).
Label values are bounded: ``target`` is a configured ``provider/model`` label, the other labels take
the few values listed in each metric's help. Defining a metric creates no connection and no thread.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry(auto_describe=True)

# Circuit breakers (trueport.limits.breaker).
BREAKER_STATE = Gauge(
    "trueport_breaker_state",
    "Circuit breaker state per provider target as last seen by this process: 0 closed, 1 half-open, 2 open.",
    ["target"],
    registry=REGISTRY,
)
BREAKER_TRANSITIONS = Counter(
    "trueport_breaker_transitions",
    "Breaker state changes this process made (sum over replicas for the fleet); states: closed, "
    "half_open, open.",
    ["target", "from_state", "to_state"],
    registry=REGISTRY,
)
BREAKER_REJECTED = Counter(
    "trueport_breaker_rejected",
    "Attempts not made because the target's breaker was open (or half-open with no probe left).",
    ["target"],
    registry=REGISTRY,
)
BREAKER_STORE_DEGRADED = Gauge(
    "trueport_breaker_store_degraded",
    "1 while breaker state is kept locally because the shared store (Redis) is unreachable.",
    registry=REGISTRY,
)

# Upstream calls (trueport.gateway.failover).
UPSTREAM_ATTEMPTS = Counter(
    "trueport_upstream_attempts",
    "Attempts to call a provider target, by outcome: ok, timeout, unavailable, rate_limited, "
    "server_error, client_error, rejected (the request's own fault), cancelled.",
    ["target", "outcome"],
    registry=REGISTRY,
)
UPSTREAM_RETRIES = Counter(
    "trueport_upstream_retries",
    "Attempts that repeated a failed attempt on the same target.",
    ["target"],
    registry=REGISTRY,
)
RETRY_BUDGET_EXHAUSTED = Counter(
    "trueport_retry_budget_exhausted",
    "Retries not made because the retry budget was spent (failover moved on instead).",
    registry=REGISTRY,
)
