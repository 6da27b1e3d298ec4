"""Review items of a call's inline ``flag`` findings, made by the recorder from the call's record.

The gateway decides nothing here and writes nothing: a finding the tenant's policy sends to a person
(``Policy.reviews_flags``) leaves the hot path as a violation record marked ``review: true``, inside
the call's line for the books. The recorder writes the call's review items in the same transaction
as its record and violations (``RecordWriter``), and announces them on ``hitl.events.v1``.

One item per direction, detector and finding type of the call (its highest score), as for async
detectors (``trueport.gateway.guard_queue``): a person judges the request, not each span of it.
An item's id is derived from the call's id and that key, so a line read twice makes the same item.
"""

from __future__ import annotations

import uuid
from typing import Any

from trueport.gateway.guard_queue import ReviewRaised
from trueport.jsonutil import JSONObject
from trueport.usage.records import RequestRecordData

_IDS = uuid.UUID("6f4c1a52-8d3e-4b7a-9c21-5e0d7b3a9f14")  # namespace of inline review item ids


def raised(record: RequestRecordData) -> list[ReviewRaised]:
    """The review items of ``record``: its enforced ``flag`` findings marked ``review``; none for a
    call without a tenant."""
    if record.tenant_id is None:
        return []
    best: dict[tuple[str, str, str], JSONObject] = {}
    for violation in record.violations:
        if (
            violation.get("review") is not True
            or violation.get("action") != "flag"
            or violation.get("shadow")
        ):
            continue
        key = (str(violation["direction"]), str(violation["detector"]), str(violation["type"]))
        if key not in best or _score(violation) > _score(best[key]):
            best[key] = violation
    return [
        ReviewRaised(
            id=str(uuid.uuid5(_IDS, f"{record.id}:{direction}:{detector}:{kind}")),
            tenant_id=record.tenant_id,
            request_id=record.id,
            key_id=record.key_id,
            direction=direction,
            detector=detector[:32],
            type=kind[:64],
            score=round(_score(violation), 4),
            location=str(violation.get("location", ""))[:200],
            policy_version=int(str(violation.get("policy_version", 0))),
            created_at=record.created_at,
        )
        for (direction, detector, kind), violation in best.items()
    ]


def _score(violation: JSONObject) -> float:
    score = violation.get("score")
    return float(score) if isinstance(score, int | float) else 0.0


def review_row(review: ReviewRaised) -> dict[str, Any]:
    """The ``review_items`` row of a new item (open, unassigned)."""
    return {
        "id": review.id,
        "tenant_id": review.tenant_id,
        "request_id": review.request_id,
        "key_id": review.key_id,
        "direction": review.direction,
        "detector": review.detector,
        "type": review.type,
        "score": review.score,
        "location": review.location,
        "policy_version": review.policy_version,
        "status": "open",
        "note": "",
        "resolved_by": None,
        "resolved_at": None,
        "created_at": review.created_at,
        "assignee_id": None,
        "assigned_at": None,
    }
