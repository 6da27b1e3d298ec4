"""HTTP endpoints of ``/members`` and ``/invitations``: who belongs to the tenant, and who is invited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from trueport.db.models import utcnow
from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import PlatformDep, Work
from trueport.platform.members import invitations, service
from trueport.platform.members.schemas import (
    InvitationCreated,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPatch,
)
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

members_router = APIRouter(prefix="/members", tags=["members"])
invitations_router = APIRouter(prefix="/invitations", tags=["invitations"])

Reader = Annotated[TenantContext, Allowed(Permission.MEMBERS_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.MEMBERS_WRITE)]
Paging = Annotated[PageQuery, Depends(page_query)]

_LAST_OWNER: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "`last_owner`: the tenant would be left without an owner"}
}
_DUPLICATE: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorBody,
        "description": "`already_a_member`, or `invitation_pending` for that address",
    }
}


@members_router.get("", summary="List the tenant's members")
async def list_members(ctx: Reader, work: Work, q: Paging) -> Page[MemberOut]:
    rows, more = await service.list_members(work, ctx, q)
    cursor = encode_cursor(rows[-1][0].created_at, rows[-1][0].id) if more else None
    return Page(data=[MemberOut.of(membership, user) for membership, user in rows], next_cursor=cursor)


@members_router.patch(
    "/{member_id}",
    summary="Change a member's role",
    description="Granting or taking away `owner` needs the owner role.",
    responses=_LAST_OWNER,
)
async def change_role(ctx: Writer, work: Work, member_id: str, body: MemberPatch) -> MemberOut:
    membership, user = await service.change_role(work, ctx, member_id, body.role)
    return MemberOut.of(membership, user)


@members_router.delete(
    "/{member_id}",
    status_code=204,
    summary="Remove a member",
    description="Removing an owner needs the owner role. The user's account is kept.",
    responses=_LAST_OWNER,
)
async def remove_member(ctx: Writer, work: Work, member_id: str) -> Response:
    await service.remove(work, ctx, member_id)
    return Response(status_code=204)


@invitations_router.get("", summary="List invitations, pending and past")
async def list_invitations(ctx: Reader, work: Work, q: Paging) -> Page[InvitationOut]:
    rows, more = await invitations.list_invitations(work, ctx, q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    now = utcnow()
    return Page(data=[InvitationOut.of(row, now) for row in rows], next_cursor=cursor)


@invitations_router.post(
    "",
    status_code=201,
    summary="Invite someone by e-mail",
    description="Mails a one-time link to `/accept-invitation` on the public URL. Inviting an owner "
    "needs the owner role. If the mail could not be sent, the invitation exists with `email_sent: false`.",
    responses=_DUPLICATE,
)
async def invite(ctx: Writer, work: Work, platform: PlatformDep, body: InvitationIn) -> InvitationCreated:
    service.require_owner_rights(ctx, body.role)
    invitation, mail = await invitations.invite(
        work, platform, ctx.tenant, body.email, body.role, ctx.principal.user
    )
    # Committed before mailing: the link works the moment it arrives, and no transaction stays open
    # while the SMTP server takes its time.
    await work.session.commit()
    sent = await invitations.send(platform.mailer, mail)
    out = InvitationOut.of(invitation, utcnow())
    return InvitationCreated(**out.model_dump(), email_sent=sent)


@invitations_router.delete(
    "/{invitation_id}", status_code=204, summary="Revoke an invitation", description="Its link stops working."
)
async def revoke_invitation(ctx: Writer, work: Work, invitation_id: str) -> Response:
    await invitations.revoke(work, ctx, invitation_id)
    return Response(status_code=204)


router = APIRouter()
router.include_router(members_router)
router.include_router(invitations_router)
