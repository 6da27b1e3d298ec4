"""Prometheus metrics: one registry for the whole process, every metric defined here.

Serve it with ``prometheus_client.generate_latest(REGISTRY)`` (content type ``CONTENT_TYPE_LATEST``).
Label values are bounded: ``target`` is a configured ``provider/model`` label, the other labels take
the few values listed in each metric's help. Defining a metric creates no connection and no thread.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

M = TypeVar("M", bound=MetricWrapperBase)

REGISTRY = CollectorRegistry(auto_describe=True)

_MAX_CHILDREN = 10_000  # label values are bounded (see above); this only caps a mistake


class Children(Generic[M]):
    """A metric's labelled children, each looked up once: ``children(*values)`` is ``labels(*values)``.

    ``labels()`` validates and converts its values and takes a lock on every call (~1 µs); the hot
    path counts several labelled series per request. The children are never removed from the
    metrics here, so a cached child stays the one ``labels()`` would return.
    """

    __slots__ = ("_children", "_metric")

    def __init__(self, metric: M):
        self._metric = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._metric.labels(*values)
            if len(self._children) < _MAX_CHILDREN:
                self._children[values] = child
        return child


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

# Requests as recorded (trueport.usage.writer, counted when a record is submitted). There is no tenant
# label on purpose: a series per tenant times provider, alias and status class grows without bound
# with the tenants of an installation; per-tenant numbers come from the usage API's roll-ups instead.
# ``alias`` is the configured alias a request was routed by, "" when none was (an unknown model name
# from a client must not become a label value).
REQUESTS = Counter(
    "trueport_requests",
    "Data-plane requests by provider, routed alias and status class (2xx, 3xx, 4xx, 5xx, other).",
    ["provider", "alias", "status_class"],
    registry=REGISTRY,
)
REQUEST_LATENCY = Histogram(
    "trueport_request_latency_seconds",
    "End-to-end latency of data-plane requests by provider and status class.",
    ["provider", "status_class"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
TOKENS = Counter(
    "trueport_tokens",
    "Tokens by provider and kind: prompt, completion, cached (cached tokens are part of the prompt).",
    ["provider", "kind"],
    registry=REGISTRY,
)
COST_USD = Counter(
    "trueport_cost_usd",
    "Cost of requests in US dollars by provider (catalog prices or the tenant's override).",
    ["provider"],
    registry=REGISTRY,
)
LIMIT_REFUSALS = Counter(
    "trueport_limit_refusals",
    "Requests refused with 429 or 402 by a limit or budget, by the error class the client saw.",
    ["error_class"],
    registry=REGISTRY,
)
GUARD_FINDINGS = Counter(
    "trueport_guard_findings",
    "Guard findings by detector and action (allow, redact, block, review, ...), shadow ones included.",
    ["detector", "action"],
    registry=REGISTRY,
)
GUARD_MODEL_FALLBACKS = Counter(
    "trueport_guard_model_fallbacks",
    "Guard model calls the local models answered instead of Triton (guard.models.backend: triton with "
    "fallback): Triton failed, was too slow, or had failed less than retry_after_s ago; by model.",
    ["model"],
    registry=REGISTRY,
)
REQUESTS_IN_FLIGHT = Gauge(
    "trueport_requests_in_flight",
    "Data-plane calls in progress in this process (read from the gateway when scraped; streams count "
    "until their last byte). An autoscaler's in-flight signal.",
    registry=REGISTRY,
)
RECORDS_PENDING = Gauge(
    "trueport_record_writer_pending",
    "Request records queued in memory, not yet written to the database.",
    registry=REGISTRY,
)
RECORDS_DROPPED = Counter(
    "trueport_record_writer_dropped",
    "Request records dropped because the in-memory queue was full (the database was down too long).",
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "trueport_dead_letters",
    "Items a writer could not store, parked in the dead_letters table, by kind: request_record, audit_event, call_item.",
    ["kind"],
    registry=REGISTRY,
)
BUS_DEAD_LETTERS = Counter(
    "trueport_bus_dead_letters",
    "Event-bus messages this process parked in their topic's dead-letter stream (failed every delivery, "
    "or not an event), by topic (the declared topics) and group (the consumer groups of the code).",
    ["topic", "group"],
    registry=REGISTRY,
)
WRITER_ERRORS = Counter(
    "trueport_writer_errors",
    "Failed write attempts of the background writers by writer (records, audit) and kind: transient "
    "(retried with backoff), unexpected (a bug; logged, the loop goes on).",
    ["writer", "kind"],
    registry=REGISTRY,
)
