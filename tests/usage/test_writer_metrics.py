"""Prometheus counters updated as records are submitted, with bounded labels (no tenant, no unknown alias)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from prometheus_client import generate_latest

from trueport.db.engine import SessionFactory
from trueport.metrics import REGISTRY
from trueport.usage.pricing import PricingCatalog
from trueport.usage.records import RequestRecordData
from trueport.usage.writer import RecordWriter

VIOLATION = {"detector": "regex", "action": "block"}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_submit_counts_requests_tokens_refusals_findings_and_queue_depth() -> None:
    unused: SessionFactory = None  # type: ignore[assignment]  # nothing is written in this test
    writer = RecordWriter(unused, PricingCatalog.load(), batch_size=100, flush_interval_s=1, max_pending=2)
    before = {
        "ok": sample("trueport_requests_total", provider="openai", alias="chat", status_class="2xx"),
        "unknown": sample("trueport_requests_total", provider="", alias="", status_class="4xx"),
        "tokens": sample("trueport_tokens_total", provider="openai", kind="prompt"),
        "refused": sample("trueport_limit_refusals_total", error_class="RateLimited"),
        "found": sample("trueport_guard_findings_total", detector="regex", action="block"),
        "slow": sample(
            "trueport_request_latency_seconds_bucket", provider="openai", status_class="2xx", le="0.25"
        ),
        "dropped": sample("trueport_record_writer_dropped_total"),
    }
    common = {"created_at": datetime.now(UTC), "endpoint": "/v1/chat/completions", "tenant_id": "t"}
    writer.submit(RequestRecordData(id=str(uuid.uuid4()), status_code=200, alias="chat", provider="openai",
                                    prompt_tokens=12, latency_ms=200.0, **common))  # fmt: skip
    writer.submit(RequestRecordData(id=str(uuid.uuid4()), status_code=404, alias="no-such-model", **common))
    writer.submit(RequestRecordData(id=str(uuid.uuid4()), status_code=429, error_class="RateLimited",
                                    violations=[VIOLATION], **common))  # type: ignore[list-item]  # fmt: skip
    assert (
        sample("trueport_requests_total", provider="openai", alias="chat", status_class="2xx")
        == before["ok"] + 1
    )
    # an alias no route knows is not a label value
    assert (
        sample("trueport_requests_total", provider="", alias="", status_class="4xx") == before["unknown"] + 2
    )
    assert sample("trueport_tokens_total", provider="openai", kind="prompt") == before["tokens"] + 12
    assert sample("trueport_limit_refusals_total", error_class="RateLimited") == before["refused"] + 1
    assert sample("trueport_guard_findings_total", detector="regex", action="block") == before["found"] + 1
    latency = sample(
        "trueport_request_latency_seconds_bucket", provider="openai", status_class="2xx", le="0.25"
    )
    assert latency == before["slow"] + 1
    assert sample("trueport_record_writer_pending") == 2  # max_pending: the oldest was dropped
    assert sample("trueport_record_writer_dropped_total") == before["dropped"] + 1
    text = generate_latest(REGISTRY).decode()
    assert (
        "no-such-model" not in text and "tenant" not in text.split("# HELP trueport_requests_total")[1][:400]
    )
