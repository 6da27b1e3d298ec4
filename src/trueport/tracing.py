"""OpenTelemetry traces of data-plane calls (optional: ``pip install 'trueport[otel]'``).

Off by default, and then free: every hook below is one module-global check that returns a shared
do-nothing context manager, and OpenTelemetry is not even imported. With ``tracing.enabled: true``
each gateway call is one trace:

- ``gateway.call`` (kind SERVER): the whole call, audit hand-off included. Its parent is the
  client's W3C ``traceparent`` when the request has one, so the gateway shows up inside the
  application's own trace. Attributes: method, path, request id, tenant id, key id, status code,
  error class.
- children: ``auth`` (the virtual key), ``limits`` (model access and the RPM admission),
  ``limits.tokens`` (the TPM reservation), ``budget`` (the spend hold), ``guard.input`` and
  ``guard.output`` with one child per detector that ran (``guard.detector.pii``: its measured time,
  laid end to end from the evaluation's start, as the engine runs them), ``provider.attempt`` for
  every attempt on a target (retries and failover are separate spans: target, provider, upstream
  model, attempt number, outcome), and ``records.handoff`` (the call handed to the books).
- the ``traceparent`` of the current attempt is sent to the provider, so a provider (or the
  project's emulator) that records it joins the same trace.
- the trace id is bound to the call's log lines (``trace_id``) and written into the call's audit
  event (``trace_id``), so an auditor can go from an event to its trace and back.

Spans carry identifiers and outcomes, never prompt or answer text. Export is OTLP over HTTP
(``tracing.endpoint``, else OpenTelemetry's own ``OTEL_EXPORTER_OTLP_*`` variables) through a
batching processor, or ``console`` for a quick look; ``sample_ratio`` samples new traces (a
client's sampled parent is followed either way).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

    from trueport.settings import TracingConfig

_NULL: AbstractContextManager[None] = nullcontext()


class _State:
    __slots__ = ("provider", "tracer")

    def __init__(self) -> None:
        self.tracer: Tracer | None = None  # None: tracing is off
        self.provider: TracerProvider | None = None


_state = _State()


class TracingUnavailable(RuntimeError):
    """``tracing.enabled`` is set but OpenTelemetry is not installed."""


def configure(config: TracingConfig, *, exporter: SpanExporter | None = None) -> None:
    """Start tracing as ``config`` says (nothing when it is disabled). ``exporter`` replaces the
    configured one and is flushed span by span (tests use an in-memory exporter)."""
    shutdown()
    if not config.enabled:
        return
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError as exc:
        raise TracingUnavailable(
            "tracing.enabled needs OpenTelemetry: install TruePort with the 'otel' extra "
            "(pip install 'trueport[otel]')"
        ) from exc
    provider = TracerProvider(
        resource=Resource.create({"service.name": config.service_name}),
        sampler=ParentBased(TraceIdRatioBased(config.sample_ratio)),
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_exporter(config)))
    _state.provider = provider
    _state.tracer = provider.get_tracer("trueport")


def _exporter(config: TracingConfig) -> SpanExporter:
    if config.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=config.endpoint) if config.endpoint else OTLPSpanExporter()


def shutdown() -> None:
    """Flush what is buffered and stop (at the app's shutdown)."""
    provider, _state.provider, _state.tracer = _state.provider, None, None
    if provider is not None:
        provider.shutdown()


def active() -> bool:
    return _state.tracer is not None


def server_span(headers: Sequence[tuple[bytes, bytes]], name: str) -> AbstractContextManager[Any]:
    """The call's root span, child of the client's ``traceparent`` if it sent one."""
    tracer = _state.tracer
    if tracer is None:
        return _NULL
    return _server_span(tracer, headers, name)


@contextmanager
def _server_span(tracer: Tracer, headers: Sequence[tuple[bytes, bytes]], name: str) -> Iterator[Span]:
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    carrier = {
        key.decode("latin-1"): value.decode("latin-1")
        for key, value in headers
        if key in (b"traceparent", b"tracestate")
    }
    with tracer.start_as_current_span(name, context=extract(carrier), kind=SpanKind.SERVER) as span:
        yield span


def span(
    name: str, attributes: Mapping[str, str | int | float | bool] | None = None
) -> AbstractContextManager[Any]:
    """A child of the current span for the ``with`` block (nothing when tracing is off)."""
    tracer = _state.tracer
    if tracer is None:
        return _NULL
    return tracer.start_as_current_span(name, attributes=attributes)


def annotate(attributes: Mapping[str, str | int | float | bool | None]) -> None:
    """Set attributes on the current span (``None`` values are left out)."""
    if _state.tracer is None:
        return
    from opentelemetry.trace import get_current_span

    current = get_current_span()
    for key, value in attributes.items():
        if value is not None:
            current.set_attribute(key, value)


def failed(error: BaseException) -> None:
    """Mark the current span as failed with ``error``'s class (never its message: it may quote text)."""
    if _state.tracer is None:
        return
    from opentelemetry.trace import Status, StatusCode, get_current_span

    current = get_current_span()
    current.set_attribute("error.type", type(error).__name__)
    current.set_status(Status(StatusCode.ERROR, type(error).__name__))


def timed_children(prefix: str, started_ns: int, timings: Sequence[tuple[str, float]]) -> None:
    """Children of the current span for work already done one after another from ``started_ns``
    (``time.time_ns()``): ``(name, milliseconds)`` each, laid end to end."""
    tracer = _state.tracer
    if tracer is None:
        return
    at = started_ns
    for name, elapsed_ms in timings:
        end = at + int(elapsed_ms * 1_000_000)
        tracer.start_span(f"{prefix}.{name}", start_time=at).end(end_time=end)
        at = end


def wall_ns() -> int:
    return time.time_ns() if _state.tracer is not None else 0


def inject(headers: MutableMapping[str, str]) -> None:
    """Add the current span's ``traceparent`` (and ``tracestate``) to outgoing ``headers``."""
    if _state.tracer is None:
        return
    from opentelemetry.propagate import inject as propagate

    propagate(headers)


def current_trace_id() -> str | None:
    """The current trace's id as 32 hex digits (None when tracing is off or nothing is recorded)."""
    if _state.tracer is None:
        return None
    from opentelemetry.trace import get_current_span

    context = get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
