"""Rules of ``/audit``: a tenant reads its own events and proofs only; proofs come with a checkpoint.

A tenant's events are selected by ``tenant_id`` in ``trueport.audit.repository`` (the audit tables
are the log's own, outside ``TENANT_OWNED``); an event of another tenant is "not found", exactly
like an id that does not exist. Inclusion proofs are given against the latest signed checkpoint; if
that does not cover the event yet (checkpoints are issued on a schedule), one is signed now.
"""

from __future__ import annotations

import base64
import binascii

from trueport.audit.checkpoints import Checkpoint
from trueport.audit.repository import AuditRepository
from trueport.audit.service import AuditTrail
from trueport.audit.tables import AuditEventRow
from trueport.errors import ApiInvalid, ApiNotFound, ApiUnavailable
from trueport.jsonutil import loads
from trueport.platform.audit.schemas import (
    AuditEventOut,
    CheckpointOut,
    ConsistencyProofOut,
    EventFilter,
    InclusionProofOut,
)
from trueport.platform.context import Platform, UnitOfWork


def trail_of(platform: Platform) -> AuditTrail:
    if platform.audit is None:
        raise ApiUnavailable("the audit trail is not running", code="audit_unavailable")
    return platform.audit


def checkpoint_out(checkpoint: Checkpoint) -> CheckpointOut:
    return CheckpointOut.model_validate(checkpoint.to_json())


async def covering_checkpoint(trail: AuditTrail, tree_size: int) -> Checkpoint:
    """The latest checkpoint if it covers ``tree_size`` leaves; otherwise one signed now."""
    latest = await trail.checkpoints.latest()
    if latest is not None and latest.tree_size >= tree_size:
        return latest
    return await trail.checkpoint()


async def list_events(
    work: UnitOfWork, tenant_id: str, after_seq: int, filters: EventFilter, limit: int
) -> tuple[list[AuditEventOut], bool]:
    rows = await AuditRepository(work.session).tenant_page(
        tenant_id,
        after_seq=after_seq,
        kind=filters.kind,
        since=filters.since,
        until=filters.until,
        limit=limit + 1,
    )
    return [event_out(row) for row in rows[:limit]], len(rows) > limit


def event_out(row: AuditEventRow) -> AuditEventOut:
    document = loads(bytes(row.body))
    assert isinstance(document, dict)
    return AuditEventOut(
        event_id=row.event_id,
        kind="data_plane" if row.kind == "data_plane" else "control_plane",
        index=row.idx,
        tenant_seq=row.tenant_seq or 0,
        ts=row.ts,
        leaf=bytes(row.body).decode(),
        leaf_hash=bytes(row.leaf_hash).hex(),
        event=document,
    )


async def inclusion_proof(
    work: UnitOfWork, trail: AuditTrail, tenant_id: str, event_id: str
) -> InclusionProofOut:
    row = await AuditRepository(work.session).event_by_id(event_id)
    if row is None or row.tenant_id != tenant_id:
        raise ApiNotFound("no such audit event", code="audit_event_not_found")
    checkpoint = await covering_checkpoint(trail, row.idx + 1)
    path = await trail.inclusion_proof(row.idx, checkpoint.tree_size)
    return InclusionProofOut(
        event_id=row.event_id,
        leaf_index=row.idx,
        tree_size=checkpoint.tree_size,
        leaf_hash=bytes(row.leaf_hash).hex(),
        audit_path=[entry.hex() for entry in path],
        checkpoint=checkpoint_out(checkpoint),
    )


async def consistency_proof(trail: AuditTrail, first: int, second: int) -> ConsistencyProofOut:
    if first > second:
        raise ApiInvalid("first must not exceed second", code="invalid_tree_sizes")
    try:
        proof = await trail.consistency_proof(first, second)
        first_root, second_root = await trail.roots(first, second)
    except ValueError as exc:  # a size beyond the log
        raise ApiInvalid(str(exc), code="invalid_tree_sizes") from exc
    return ConsistencyProofOut(
        first=first,
        second=second,
        first_root=first_root.hex(),
        second_root=second_root.hex(),
        proof=[entry.hex() for entry in proof],
    )


def encode_seq_cursor(tenant_seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{tenant_seq}".encode()).decode().rstrip("=")


def decode_seq_cursor(cursor: str | None) -> int:
    if not cursor:
        return -1
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        value = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ApiInvalid("invalid cursor", code="invalid_cursor") from exc
    if prefix != "seq" or value < 0:
        raise ApiInvalid("invalid cursor", code="invalid_cursor")
    return value
