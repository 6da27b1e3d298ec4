"""HTTP endpoints of ``/tenants``: the installation's tenants, for platform admins only.

Platform admins manage tenants but see none of their data: a tenant's keys, members and usage are
reached only by its members (``trueport.platform.tenancy``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import PlatformDep, Work
from trueport.platform.members.invitations import send
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.principal import PlatformAdmin
from trueport.platform.tenants import service
from trueport.platform.tenants.schemas import OwnerInvitation, TenantCreated, TenantIn, TenantOut, TenantPatch

router = APIRouter(prefix="/tenants", tags=["tenants"])

_TAKEN: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": "`slug_taken`"}}


@router.get("", summary="List tenants")
async def list_tenants(
    admin: PlatformAdmin, work: Work, q: Annotated[PageQuery, Depends(page_query)]
) -> Page[TenantOut]:
    rows, more = await service.list_tenants(work, q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[TenantOut.of(row) for row in rows], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    summary="Create a tenant",
    description="With `owner_email`, the first owner is invited by e-mail (`owner_invitation`).",
    responses=_TAKEN,
)
async def create_tenant(
    admin: PlatformAdmin, work: Work, platform: PlatformDep, body: TenantIn
) -> TenantCreated:
    created = await service.create(work, platform, body, admin.user)
    owner = None
    if created.invitation is not None and created.mail is not None:
        # Committed before mailing: the link works the moment it arrives, and no transaction stays
        # open while the SMTP server takes its time.
        await work.session.commit()
        owner = OwnerInvitation.of(created.invitation, await send(platform.mailer, created.mail))
    return TenantCreated(**TenantOut.of(created.tenant).model_dump(), owner_invitation=owner)


@router.get("/{tenant_id}", summary="Read a tenant")
async def read_tenant(admin: PlatformAdmin, work: Work, tenant_id: str) -> TenantOut:
    return TenantOut.of(await service.find(work, tenant_id))


@router.patch(
    "/{tenant_id}",
    summary="Change a tenant's name or limits, or disable it",
    description="Gateways apply the change within seconds.",
)
async def update_tenant(admin: PlatformAdmin, work: Work, tenant_id: str, body: TenantPatch) -> TenantOut:
    return TenantOut.of(await service.update(work, tenant_id, body))
