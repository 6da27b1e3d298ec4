"""``inference.events.v1``: one event per completed data-plane call, published from the record path.

The event carries what the request record carries (tenant, key, alias, provider, status, tokens,
cost, latency), never prompt or completion content. It is published where the record is submitted,
so every call that is recorded is announced, and the data plane does nothing more than an append.
"""

from __future__ import annotations

from trueport.events.bus import EventBus
from trueport.events.event import Event, Topic
from trueport.jsonutil import JSONObject
from trueport.usage.pricing import TenantPrices
from trueport.usage.records import RequestRecordData
from trueport.usage.writer import RecordWriter

INFERENCE_TOPIC: Topic = "inference.events.v1"


def inference_data(record: RequestRecordData, cost_usd: str | None) -> JSONObject:
    return {
        "request_id": record.id,
        "key_id": record.key_id,
        "endpoint": record.endpoint,
        "alias": record.alias,
        "provider": record.provider,
        "upstream_model": record.upstream_model,
        "status": record.status_code,
        "error_class": record.error_class,
        "stream": record.stream,
        "attempts": record.attempts,
        "fallback": record.fallback,
        "served_from": record.served_from,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cached_tokens": record.cached_tokens,
        "cost_usd": cost_usd,
        "latency_ms": round(record.latency_ms, 3),
        "ttft_ms": round(record.ttft_ms, 3) if record.ttft_ms is not None else None,
    }


def inference_event(record: RequestRecordData, prices: TenantPrices) -> Event:
    """The ``inference.events.v1`` event of a record, priced as the record is."""
    priced = None
    if record.upstream_model is not None and record.served_from is None:
        priced = prices.cost(
            record.tenant_id,
            record.upstream_model,
            record.prompt_tokens,
            record.completion_tokens,
            record.cached_tokens,
        )
    cost = str(priced[0]) if priced is not None else None
    return Event.new(INFERENCE_TOPIC, record.tenant_id, inference_data(record, cost))


class PublishingRecordWriter(RecordWriter):
    """The record writer, announcing each record it is handed on ``events`` (once that is set)."""

    events: EventBus | None = None

    def submit(self, record: RequestRecordData) -> None:
        super().submit(record)
        if self.events is not None:
            self.events.publish(INFERENCE_TOPIC, inference_event(record, self.prices))
