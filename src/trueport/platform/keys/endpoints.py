"""HTTP endpoints of ``/keys``: a tenant's virtual keys for the data plane (``/v1``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from trueport.keys.service import KeyStatus
from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import PlatformDep, Work
from trueport.platform.keys import service
from trueport.platform.keys.schemas import CreatedKeyOut, KeyCreate, KeyOut, KeyRotate, KeyUpdate
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/keys", tags=["keys"])

Reader = Annotated[TenantContext, Allowed(Permission.KEYS_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.KEYS_WRITE)]

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The key is revoked or expired"}
}


@router.get("", summary="List keys")
async def list_keys(
    ctx: Reader,
    work: Work,
    q: Annotated[PageQuery, Depends(page_query)],
    status: Annotated[KeyStatus | None, Query(description="Only keys in this state.")] = None,
) -> Page[KeyOut]:
    rows, more = await service.list_keys(work, ctx, q, status)
    now = datetime.now(UTC)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[KeyOut.of(key, now) for key in rows], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    summary="Create a key",
    description="The response holds the key's secret: it is shown this once and cannot be read again.",
)
async def create_key(ctx: Writer, work: Work, platform: PlatformDep, body: KeyCreate) -> CreatedKeyOut:
    created = await service.create_key(work, platform, ctx, body)
    return CreatedKeyOut.created(created.key, created.secret)


@router.get("/{key_id}", summary="Read a key")
async def read_key(ctx: Reader, work: Work, key_id: str) -> KeyOut:
    return KeyOut.of(await service.find_key(work, ctx, key_id))


@router.patch(
    "/{key_id}",
    summary="Change a key",
    description="Only the fields sent change; `null` clears a limit, the model list or the expiry.",
    responses=_CONFLICT,
)
async def update_key(ctx: Writer, work: Work, key_id: str, body: KeyUpdate) -> KeyOut:
    return KeyOut.of(await service.update_key(work, ctx, key_id, body))


@router.post(
    "/{key_id}/revoke",
    summary="Revoke a key",
    description="Gateways stop accepting it within seconds. Revoking a revoked key changes nothing.",
)
async def revoke_key(ctx: Writer, work: Work, key_id: str) -> KeyOut:
    return KeyOut.of(await service.revoke_key(work, ctx, key_id))


@router.post(
    "/{key_id}/rotate",
    status_code=201,
    summary="Rotate a key",
    description=(
        "Creates a key with the same name, models, limits and expiry, and returns it with its secret "
        "(shown once). The old key keeps working for `overlap_s` seconds (never longer than it would "
        "have anyway); an overlap of 0 revokes it at once. A revoked or expired key cannot be rotated."
    ),
    responses=_CONFLICT,
)
async def rotate_key(
    ctx: Writer,
    work: Work,
    platform: PlatformDep,
    key_id: str,
    body: Annotated[KeyRotate | None, Body()] = None,
) -> CreatedKeyOut:
    overlap_s = body.overlap_s if body is not None else None
    created = await service.rotate_key(work, platform, ctx, key_id, overlap_s)
    return CreatedKeyOut.created(created.key, created.secret)
