"""HTTP endpoints of ``/credentials`` (a tenant's provider accounts) and ``/admin/master-key``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from trueport.platform.context import PlatformDep, Work
from trueport.platform.credentials.rotation import rewrap_all
from trueport.platform.credentials.schemas import (
    CredentialCreate,
    CredentialOut,
    CredentialUpdate,
    RewrapOut,
)
from trueport.platform.credentials.service import CredentialService
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.principal import PlatformAdmin
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/credentials", tags=["credentials"])
admin_router = APIRouter(prefix="/admin", tags=["admin"])

Reader = Annotated[TenantContext, Allowed(Permission.CREDENTIALS_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.CREDENTIALS_WRITE)]


@router.get("", summary="List the tenant's provider credentials (never their secrets)")
async def list_credentials(
    ctx: Reader, work: Work, platform: PlatformDep, q: Annotated[PageQuery, Depends(page_query)]
) -> Page[CredentialOut]:
    rows, more = await CredentialService(work, ctx.tenant_id, platform).page(q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(data=[CredentialOut.of(row) for row in rows], next_cursor=cursor)


@router.post("", status_code=201, summary="Add a provider credential (bring your own key)")
async def create_credential(
    body: CredentialCreate, ctx: Writer, work: Work, platform: PlatformDep
) -> CredentialOut:
    return CredentialOut.of(await CredentialService(work, ctx.tenant_id, platform).create(body))


@router.get("/{credential_id}", summary="One provider credential")
async def get_credential(credential_id: str, ctx: Reader, work: Work, platform: PlatformDep) -> CredentialOut:
    return CredentialOut.of(await CredentialService(work, ctx.tenant_id, platform).get(credential_id))


@router.patch("/{credential_id}", summary="Change a credential's URL, API key or API version")
async def update_credential(
    credential_id: str, body: CredentialUpdate, ctx: Writer, work: Work, platform: PlatformDep
) -> CredentialOut:
    row = await CredentialService(work, ctx.tenant_id, platform).update(credential_id, body)
    return CredentialOut.of(row)


@router.delete(
    "/{credential_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a credential (409 credential_in_use while a route names it)",
)
async def delete_credential(credential_id: str, ctx: Writer, work: Work, platform: PlatformDep) -> Response:
    await CredentialService(work, ctx.tenant_id, platform).delete(credential_id)
    return Response(status_code=204)


@admin_router.post(
    "/master-key/rewrap",
    summary="Re-wrap every sealed secret's data key under the active master key (platform admins)",
)
async def rewrap_master_key(_: PlatformAdmin, platform: PlatformDep) -> RewrapOut:
    count = await rewrap_all(platform.sessions, platform.envelope)
    return RewrapOut(rewrapped=count, active_master_key=platform.envelope.active)
