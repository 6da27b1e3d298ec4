"""OpenTelemetry traces of gateway calls, end to end: a real gateway, the provider emulator, an
in-memory exporter. One trace per call, child of the client's traceparent, with the spans of auth,
limits, guard (per detector), every provider attempt and the records hand-off; the traceparent goes
on to the provider; the trace id is in the call's audit event and log lines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import aiohttp
import orjson
import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select
from tests.gateway.harness import PROVIDER_KEY, RunningGateway, gateway_settings, running_gateway

from trueport import tracing
from trueport.audit.tables import AuditEventRow
from trueport.gateway import failover
from trueport.mockprovider import MockProvider
from trueport.settings import TracingConfig

CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{CLIENT_TRACE}-b7ad6b7169203331-01"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    tracing.configure(TracingConfig(enabled=True), exporter=spans)
    try:
        yield spans
    finally:
        tracing.shutdown()


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0, api_key=PROVIDER_KEY) as server:
        yield server


@pytest.fixture
async def traced(
    database_url: str, mock: MockProvider, exporter: InMemorySpanExporter
) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, mock.url, tracing={"enabled": True}, guard={"enabled": True})
    async with running_gateway(settings) as gateway:
        yield gateway


async def chat(gateway: RunningGateway, model: str, **headers: str) -> aiohttp.ClientResponse:
    body = {"model": model, "messages": [{"role": "user", "content": "What is the capital of France?"}]}
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{gateway.base_url}/chat/completions",
            data=orjson.dumps(body),
            headers={"authorization": f"Bearer {gateway.key}", "content-type": "application/json", **headers},
        )
        await response.read()
        return response


def call_spans(exporter: InMemorySpanExporter, trace_id: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]


async def wait_for_root(exporter: InMemorySpanExporter) -> ReadableSpan:
    for _ in range(200):
        roots = [s for s in exporter.get_finished_spans() if s.name == "gateway.call"]
        if roots:
            return roots[-1]
        await asyncio.sleep(0.01)
    raise AssertionError("no gateway.call span")


async def test_a_call_is_one_trace_under_the_clients_traceparent(
    traced: RunningGateway, mock: MockProvider, exporter: InMemorySpanExporter
) -> None:
    response = await chat(traced, "oa", traceparent=TRACEPARENT)
    assert response.status == 200
    root = await wait_for_root(exporter)
    assert format(root.context.trace_id, "032x") == CLIENT_TRACE
    assert root.parent is not None and format(root.parent.span_id, "016x") == "b7ad6b7169203331"
    assert root.attributes is not None
    assert root.attributes["http.response.status_code"] == 200
    assert root.attributes["trueport.tenant_id"] == traced.tenant_id
    assert root.attributes["trueport.request_id"] == response.headers["x-request-id"]

    spans = call_spans(exporter, CLIENT_TRACE)
    names = [s.name for s in spans]
    for expected in ("auth", "limits", "guard.input", "guard.output", "provider.attempt", "records.handoff"):
        assert expected in names, (expected, names)
    assert {"guard.detector.pii", "guard.detector.injection"} <= set(names)
    by_id = {s.context.span_id: s for s in spans}
    for span in spans:  # every span hangs from the call's root
        node = span
        while node.parent is not None and node.parent.span_id in by_id:
            node = by_id[node.parent.span_id]
        assert node is root, span.name
    detector = next(s for s in spans if s.name == "guard.detector.injection")
    guard_input = next(s for s in spans if s.name == "guard.input")
    assert detector.parent is not None and detector.parent.span_id == guard_input.context.span_id
    attempt = next(s for s in spans if s.name == "provider.attempt")
    assert attempt.attributes is not None and attempt.attributes["trueport.provider"] == "oa"

    # The provider was called with the attempt's span as its parent.
    upstream = mock.requests[-1]
    version, trace_id, parent_id, _flags = upstream["headers"]["traceparent"].split("-")
    assert (version, trace_id) == ("00", CLIENT_TRACE)
    assert parent_id == format(attempt.context.span_id, "016x")

    # No prompt text in any span.
    for span in spans:
        for value in (span.attributes or {}).values():
            assert "capital of France" not in str(value)

    # The audit event names the trace.
    await traced.app.gateway.records.flush()
    for _ in range(300):
        async with traced.sessions() as session:
            bodies = list(await session.scalars(select(AuditEventRow.body)))
        events = [orjson.loads(body) for body in bodies]
        mine = [e for e in events if e.get("request_id") == response.headers["x-request-id"]]
        if mine:
            break
        await asyncio.sleep(0.02)
    assert mine and mine[0]["trace_id"] == CLIENT_TRACE


class ContextOfLogs:
    """Stands in for a module's logger: keeps each event with the log context bound when it was logged
    (structlog's configuration and its cached loggers are left alone)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, object]]] = []

    def info(self, event: str, **_fields: object) -> None:
        self.events.append((event, structlog.contextvars.get_contextvars()))


async def test_retries_and_failover_are_separate_attempt_spans_and_logs_name_the_trace(
    traced: RunningGateway, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = ContextOfLogs()
    monkeypatch.setattr(failover, "log", logs)
    response = await chat(traced, "failover")
    assert response.status == 200
    root = await wait_for_root(exporter)
    trace_id = format(root.context.trace_id, "032x")
    failures = [context for event, context in logs.events if event == "upstream_failed"]
    assert failures and all(context.get("trace_id") == trace_id for context in failures)
    attempts = [s for s in call_spans(exporter, trace_id) if s.name == "provider.attempt"]
    targets = [(s.attributes or {})["trueport.target"] for s in attempts]
    assert len(attempts) >= 3 and targets[0] != targets[-1]
    assert attempts[0].status.status_code.name == "ERROR"
    assert (attempts[0].attributes or {})["error.type"]
    assert attempts[-1].status.status_code.name != "ERROR"
    assert (attempts[-1].attributes or {})["trueport.provider"] == "an"


async def test_without_a_traceparent_the_call_starts_its_own_trace(
    traced: RunningGateway, exporter: InMemorySpanExporter
) -> None:
    response = await chat(traced, "no-such-model")
    assert response.status == 404
    root = await wait_for_root(exporter)
    assert root.parent is None
    assert (root.attributes or {})["http.response.status_code"] == 404
    assert (root.attributes or {})["error.type"] == "ModelNotFound"
    assert format(root.context.trace_id, "032x") != CLIENT_TRACE


def test_tracing_off_costs_no_span_and_no_import() -> None:
    tracing.shutdown()
    assert not tracing.active()
    with tracing.span("anything") as nothing:
        assert nothing is None
    assert tracing.current_trace_id() is None
    headers: dict[str, str] = {}
    tracing.inject(headers)
    assert headers == {}
