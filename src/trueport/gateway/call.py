"""One data-plane call in flight: its ASGI channels, its key, its record, its response headers.

When the app audits the data plane (``trueport.audit.dataplane``), the call sends through its
``CallAudit``: the last body message of a 2xx answer (``respond_json``, the final stream chunk, a
cached replay) waits until the call's audit event is durable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from trueport.audit.dataplane import call_audit_of
from trueport.gateway.asgi import JSON_HEADERS, SECURITY_HEADERS, Headers, Receive, Scope, Send, send_body
from trueport.gateway.error_shapes import Dialect
from trueport.keys.cache import KeyInfo
from trueport.limits.ratelimit import Admission
from trueport.providers.base import Usage
from trueport.usage.records import RequestRecordData


@dataclass(slots=True)
class Call:
    scope: Scope
    receive: Receive
    send: Send
    record: RequestRecordData
    dialect: Dialect
    started: float = field(default_factory=time.perf_counter)
    key: KeyInfo | None = None
    headers: Headers = field(default_factory=list)  # added to every response of this call
    response_started: bool = False
    admission: Admission | None = None  # the RPM count this call took (given back if refused later)
    # The gateway's own count, used when the upstream's usage is invalid (set once the body is read).
    usage_estimate: Callable[[], Usage] | None = None
    # Run just before the last bytes of a 2xx answer (the call is handed to the books then).
    finishers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        audit = call_audit_of(self.scope)
        if audit is not None:
            audit.bind(self.record, self.headers, self.started, self.finishers)
            self.send = audit.wrap(self.send)

    @property
    def key_info(self) -> KeyInfo:
        if self.key is None:
            raise RuntimeError("call is not authenticated")
        return self.key

    def response_headers(self, base: Headers) -> Headers:
        return [*base, *SECURITY_HEADERS, (b"x-request-id", self.record.id.encode()), *self.headers]

    async def respond_json(self, status: int, body: bytes) -> None:
        self.response_started = True
        await send_body(self.send, status, body, self.response_headers(JSON_HEADERS))

    async def start_stream(self, base: Headers) -> None:
        self.response_started = True
        await self.send(
            {"type": "http.response.start", "status": 200, "headers": self.response_headers(base)}
        )
        self.record.ttft_ms = (time.perf_counter() - self.started) * 1000

    async def stream_bytes(self, data: bytes, *, more: bool = True) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": more})

    def note_target(self, provider: str, model: str) -> None:
        self.record.provider = provider
        self.record.upstream_model = model

    def note_usage(self, usage: Usage) -> None:
        if usage.invalid:  # see trueport.usage.upstream
            self.record.upstream_usage_invalid = True
            usage = self.usage_estimate() if self.usage_estimate is not None else usage
        self.record.prompt_tokens = usage.prompt_tokens
        self.record.completion_tokens = usage.completion_tokens
        self.record.cached_tokens = usage.cached_tokens
