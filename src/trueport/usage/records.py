"""What the data plane records about each request (the in-memory form, before it is written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from trueport.jsonutil import JSONObject


@dataclass(slots=True)
class RequestRecordData:
    id: str
    created_at: datetime
    endpoint: str
    status_code: int = 0
    tenant_id: str | None = None
    key_id: str | None = None
    alias: str | None = None
    provider: str | None = None
    upstream_model: str | None = None
    stream: bool = False
    error_class: str | None = None
    attempts: int = 0
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    fallback: bool = False  # answered by the alias's fallback after every target failed
    served_from: str | None = None  # "cache" or "idempotency": replayed, not forwarded (no tokens, no cost)
    targets_tried: list[str] = field(default_factory=list)
    violations: list[JSONObject] = field(default_factory=list)  # guard findings (ViolationRecord.as_dict)
    upstream_usage_invalid: bool = False  # tokens are the gateway's estimate (trueport.usage.upstream)
    trace_id: str | None = None  # the OpenTelemetry trace of the call (tracing on), 32 hex digits
    allowed_regions: list[str] | None = None  # region pinning of the call (sorted); None: not pinned
    region: str | None = None  # the region of the target that answered, if it has one
