"""HTTP endpoints of ``/admin/users``: the installation's users, for platform admins only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from trueport.platform.admin_users import service
from trueport.platform.admin_users.schemas import AdminUserOut
from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.principal import PlatformAdmin

router = APIRouter(prefix="/admin/users", tags=["admin"])

_UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "`user_not_found`"}}
_LAST: dict[int | str, dict[str, Any]] = {
    **_UNKNOWN,
    409: {"model": ErrorBody, "description": "`last_platform_admin`: the only enabled platform admin"},
}


@router.get("", summary="List users (platform admins)")
async def list_users(
    _: PlatformAdmin,
    work: Work,
    q: Annotated[PageQuery, Depends(page_query)],
    search: Annotated[
        str | None, Query(max_length=320, description="Part of the e-mail address or the name.")
    ] = None,
) -> Page[AdminUserOut]:
    rows, more = await service.list_users(work, q, search.strip() if search else None)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[AdminUserOut.of(row) for row in rows], next_cursor=cursor)


@router.post(
    "/{user_id}/disable",
    summary="Disable a user (platform admins)",
    description="Ends their sessions and refuses their sign-ins; memberships are kept. Idempotent.",
    responses=_LAST,
)
async def disable_user(_: PlatformAdmin, work: Work, user_id: str) -> AdminUserOut:
    return AdminUserOut.of(await service.disable(work, user_id))


@router.post("/{user_id}/enable", summary="Enable a disabled user (platform admins)", responses=_UNKNOWN)
async def enable_user(_: PlatformAdmin, work: Work, user_id: str) -> AdminUserOut:
    return AdminUserOut.of(await service.enable(work, user_id))


@router.put("/{user_id}/platform-admin", summary="Make a user a platform admin", responses=_UNKNOWN)
async def grant_platform_admin(_: PlatformAdmin, work: Work, user_id: str) -> AdminUserOut:
    return AdminUserOut.of(await service.set_platform_admin(work, user_id, True))


@router.delete(
    "/{user_id}/platform-admin",
    summary="Revoke a user's platform admin",
    description="409 `last_platform_admin` for the only enabled platform admin.",
    responses=_LAST,
)
async def revoke_platform_admin(_: PlatformAdmin, work: Work, user_id: str) -> AdminUserOut:
    return AdminUserOut.of(await service.set_platform_admin(work, user_id, False))
