"""``usage.reviews.raised``: the review items the recorder makes from a call's marked flags."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from trueport.usage.records import RequestRecordData
from trueport.usage.reviews import raised


def finding(**values: Any) -> dict[str, object]:
    found: dict[str, object] = {
        "detector": "injection",
        "type": "prompt_injection",
        "action": "flag",
        "shadow": False,
        "direction": "input",
        "source": "user",
        "location": "messages[0].content",
        "policy_version": 4,
        "score": 0.8,
        "start": 0,
        "end": 10,
        "review": True,
    }
    return found | values


def record(*violations: dict[str, object], tenant_id: str | None = "t1") -> RequestRecordData:
    return RequestRecordData(
        id="r1",
        created_at=datetime(2026, 12, 7, tzinfo=UTC),
        endpoint="/v1/chat/completions",
        tenant_id=tenant_id,
        key_id="k1",
        violations=list(violations),
    )


def test_one_item_per_direction_detector_and_type_with_the_highest_score() -> None:
    items = raised(
        record(
            finding(score=0.6),
            finding(score=0.9, location="messages[2].content"),
            finding(direction="output", score=0.7),
            finding(detector="pii", type="email", score=0.99),
        )
    )
    assert sorted((i.direction, i.detector, i.type, i.score, i.location) for i in items) == [
        ("input", "injection", "prompt_injection", 0.9, "messages[2].content"),
        ("input", "pii", "email", 0.99, "messages[0].content"),
        ("output", "injection", "prompt_injection", 0.7, "messages[0].content"),
    ]
    assert {(i.tenant_id, i.request_id, i.key_id, i.policy_version) for i in items} == {("t1", "r1", "k1", 4)}
    assert all(i.created_at == datetime(2026, 12, 7, tzinfo=UTC) for i in items)


def test_ids_are_the_same_when_a_line_is_read_twice() -> None:
    first, again = raised(record(finding())), raised(record(finding()))
    assert [i.id for i in first] == [i.id for i in again]
    assert first[0].id != raised(record(finding(direction="output")))[0].id


def test_unmarked_shadow_other_actions_and_tenantless_calls_make_none() -> None:
    assert raised(record(finding(review=False))) == []
    assert raised(record({k: v for k, v in finding().items() if k != "review"})) == []
    assert raised(record(finding(shadow=True))) == []
    assert raised(record(finding(action="redact"))) == []
    assert raised(record(finding(), tenant_id=None)) == []
