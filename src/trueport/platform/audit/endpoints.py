"""HTTP endpoints of ``/audit``: the tenant's view of the audit log, its proofs, the signing keys.

The public keys are public (no sign-in): anyone holding an exported archive or a checkpoint must be
able to check it without trusting us. Everything else needs ``audit:read`` in the tenant.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from trueport.errors import ApiNotFound
from trueport.platform.audit import service
from trueport.platform.audit.schemas import (
    AuditEventOut,
    CheckpointOut,
    ConsistencyProofOut,
    EventFilter,
    InclusionProofOut,
    PublicKeyOut,
    event_filter,
)
from trueport.platform.context import PlatformDep, Work
from trueport.platform.pagination import MAX_LIMIT, Page
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = Annotated[TenantContext, Allowed(Permission.AUDIT_READ)]
TreeSize = Annotated[int, Query(ge=0, le=2**53 - 1, description="A tree size (number of leaves).")]


@router.get(
    "/public-keys",
    summary="Checkpoint-signing public keys",
    description="PEM Ed25519 public keys: the current one first, then retired ones. No sign-in needed.",
)
async def public_keys(platform: PlatformDep) -> list[PublicKeyOut]:
    trail = service.trail_of(platform)
    return [PublicKeyOut(key_id=k.key_id, pem=k.pem, current=k.current) for k in trail.public_keys()]


@router.get("/checkpoints/latest", summary="The latest signed checkpoint")
async def latest_checkpoint(ctx: Auditor, platform: PlatformDep) -> CheckpointOut:
    checkpoint = await service.trail_of(platform).checkpoints.latest()
    if checkpoint is None:
        raise ApiNotFound("no checkpoint has been signed yet", code="no_checkpoint")
    return service.checkpoint_out(checkpoint)


@router.get(
    "/events",
    summary="List the tenant's audit events",
    description="In log order; each with its leaf (canonical JSON as hashed) and its index in the tree.",
)
async def list_events(
    ctx: Auditor,
    work: Work,
    filters: Annotated[EventFilter, Depends(event_filter)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Events per page.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=64, description="`next_cursor` of the previous page.")
    ] = None,
) -> Page[AuditEventOut]:
    events, more = await service.list_events(
        work, ctx.tenant_id, service.decode_seq_cursor(cursor), filters, limit
    )
    next_cursor = service.encode_seq_cursor(events[-1].tenant_seq) if more else None
    return Page[AuditEventOut](data=events, next_cursor=next_cursor)


@router.get(
    "/proofs/inclusion",
    summary="Inclusion proof of one of the tenant's events",
    description="Against a signed checkpoint that covers the event (signed now if none does yet).",
)
async def inclusion_proof(
    ctx: Auditor,
    work: Work,
    platform: PlatformDep,
    event_id: Annotated[str, Query(min_length=1, max_length=36)],
) -> InclusionProofOut:
    return await service.inclusion_proof(work, service.trail_of(platform), ctx.tenant_id, event_id)


@router.get("/proofs/consistency", summary="Consistency proof between two tree sizes")
async def consistency_proof(
    ctx: Auditor, platform: PlatformDep, first: TreeSize, second: TreeSize
) -> ConsistencyProofOut:
    return await service.consistency_proof(service.trail_of(platform), first, second)
