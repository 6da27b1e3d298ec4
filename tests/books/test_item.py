"""A finished call survives the trip through its line exactly; anything else is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from trueport.books.item import decode, encode
from trueport.usage.records import RequestRecordData


def full_record() -> RequestRecordData:
    return RequestRecordData(
        id="0a1b2c3d-0000-4000-8000-000000000001",
        created_at=datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=UTC),
        endpoint="/v1/chat/completions",
        status_code=200,
        tenant_id="t-1",
        key_id="k-1",
        alias="gpt-4o-mini",
        provider="openai",
        upstream_model="gpt-4o-mini-2024",
        stream=True,
        error_class=None,
        attempts=2,
        latency_ms=12.5,
        ttft_ms=3.25,
        prompt_tokens=10,
        completion_tokens=20,
        cached_tokens=4,
        fallback=True,
        served_from=None,
        targets_tried=["azure/gpt-4o", "openai/gpt-4o-mini"],
        violations=[{"detector": "pii", "type": "EMAIL", "action": "redact", "direction": "input"}],
        upstream_usage_invalid=True,
        trace_id="0af7651916cd43dd8448eb211c80319c",
        allowed_regions=["eu-central-1", "eu-west-1"],
        region="eu-west-1",
    )


def test_a_call_round_trips_with_its_audit_details() -> None:
    record = full_record()
    headers = [
        (b"x-ratelimit-limit-requests", b"60"),
        (b"x-ratelimit-remaining-requests", b"59"),
        (b"x-request-id", b"ignored"),
    ]
    line = encode(record, 200, headers, audited=True)
    assert b"\n" not in line
    item = decode(line)
    assert item.record == record
    assert item.status == 200
    assert item.audited is True
    assert item.ratelimit_headers == headers[:2]  # only what the audit event needs
    assert abs((item.answered_at - datetime.now(UTC)).total_seconds()) < 5


def test_control_characters_in_text_stay_inside_the_line() -> None:
    record = full_record()
    record.error_class = "A\nB\r\x00"
    item = decode(encode(record, 500, [], audited=False))
    assert item.record.error_class == "A\nB\r\x00" and item.audited is False


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"not json",
        b"{}",
        b"[2]",
        orjson.dumps([1, *([None] * 24)]),
        encode(full_record(), 200, [], audited=True).replace(b'"t-1"', b"17"),
    ],
)
def test_what_is_not_a_call_item_is_refused(line: bytes) -> None:
    with pytest.raises(ValueError):
        decode(line)


def test_a_line_written_before_the_trace_id_still_decodes() -> None:
    record = full_record()
    fields = orjson.loads(encode(record, 200, [], audited=True))
    assert fields[-2] == record.trace_id
    older = orjson.dumps(fields[:-2])  # a server of the version before: 25 elements
    item = decode(older)
    assert item.record.trace_id is None
    assert item.record.id == record.id and item.answered_at is not None


def test_a_line_written_before_the_region_pinning_still_decodes() -> None:
    record = full_record()
    fields = orjson.loads(encode(record, 200, [], audited=True))
    assert fields[-1] == [record.allowed_regions, record.region]
    item = decode(orjson.dumps(fields[:-1]))  # a server of the version before: 26 elements
    assert item.record.trace_id == record.trace_id
    assert item.record.allowed_regions is None and item.record.region is None
