"""Invitations: how people join a tenant, and how accounts are created (there is no open sign-up).

An invitation is for one e-mail address and one role, valid ``platform.invitation_ttl_s``, accepted
once. Its token is the tenant's id followed by 32 random bytes; only its SHA-256 is stored, and the
tenant id in front lets acceptance look it up within that tenant like every other tenant-owned
query (``ScopedRepository``). Accepting creates the account if the address has none (name and
password then required), or adds the membership to the existing account, whose password is never
touched: holding an invitation proves access to the mailbox, not to the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from trueport.db.models import Invitation, Membership, Tenant, User, utcnow
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.platform.auth.opaque import new_token, token_digest
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.mail.mailer import Mailer, MailError, OutgoingMail
from trueport.platform.mail.templates import invitation_mail
from trueport.platform.members.repository import InvitationRepo, MemberRepo
from trueport.platform.members.service import add_member
from trueport.platform.pagination import PageQuery
from trueport.platform.rbac import Role
from trueport.platform.tenancy import TenantContext
from trueport.platform.users.repository import UserRepository, normalize_email
from trueport.platform.users.service import create_user

log = structlog.get_logger(__name__)

_TENANT_ID_LENGTH = 36  # a UUID in its text form, at the start of every invitation token


@dataclass(frozen=True, slots=True)
class Accepted:
    user: User
    tenant: Tenant
    membership: Membership


async def invite(
    work: UnitOfWork, platform: Platform, tenant: Tenant, email: str, role: Role, inviter: User | None
) -> tuple[Invitation, OutgoingMail]:
    """Store an invitation and return the mail that carries its link (the caller sends it).

    409 if the address already belongs to a member or has a pending invitation.
    """
    email = normalize_email(email)
    now = utcnow()
    user = await UserRepository(work.session).by_email(email)
    if user is not None and await MemberRepo(work.session, tenant.id).of_user(user.id) is not None:
        raise ApiConflict("this person is already a member", code="already_a_member")
    invitations = InvitationRepo(work.session, tenant.id)
    if await invitations.pending_for(email, now) is not None:
        raise ApiConflict("this address already has a pending invitation", code="invitation_pending")
    raw = tenant.id + new_token()
    expires_at = now + timedelta(seconds=platform.settings.platform.invitation_ttl_s)
    invitation = invitations.add(
        Invitation(
            email=email,
            role=role.value,
            token_hash=token_digest(raw),
            invited_by=inviter.id if inviter is not None else None,
            expires_at=expires_at,
        )
    )
    await work.session.flush()
    mail = invitation_mail(
        to=email,
        tenant_name=tenant.name,
        role=role.value,
        inviter=(inviter.name or inviter.email) if inviter is not None else None,
        accept_url=f"{platform.settings.platform.public_url.rstrip('/')}/accept-invitation?token={raw}",
        expires_at=expires_at,
    )
    return invitation, mail


async def send(mailer: Mailer, mail: OutgoingMail) -> bool:
    """True if the SMTP server took the mail; a failure is logged (never the link) and is not fatal."""
    try:
        await mailer.send(mail)
    except MailError as exc:
        log.warning("invitation_mail_failed", reason=str(exc))
        return False
    return True


async def list_invitations(
    work: UnitOfWork, ctx: TenantContext, query: PageQuery
) -> tuple[list[Invitation], bool]:
    return await InvitationRepo(work.session, ctx.tenant_id).page(query)


async def revoke(work: UnitOfWork, ctx: TenantContext, invitation_id: str) -> None:
    """Revoke a pending invitation (its link stops working). Revoking twice is harmless; an accepted
    invitation cannot be revoked (remove the member instead)."""
    invitation = await InvitationRepo(work.session, ctx.tenant_id).get(invitation_id)
    if invitation is None:
        raise ApiNotFound("no such invitation in this tenant", code="invitation_not_found")
    if invitation.accepted_at is not None:
        raise ApiConflict(
            "the invitation was accepted: remove the member instead", code="invitation_accepted"
        )
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        await work.session.flush()


async def accept(
    work: UnitOfWork, platform: Platform, token: str, *, name: str | None, password: str | None
) -> Accepted:
    invalid = ApiInvalid("this invitation is invalid, expired or already used", code="invalid_invitation")
    tenant_id = token[:_TENANT_ID_LENGTH]
    invitations = InvitationRepo(work.session, tenant_id)
    found = await invitations.by_digest(token_digest(token))
    invitation = await invitations.claim(found.id) if found is not None else None
    now = utcnow()
    if invitation is None or invitation.expires_at <= now:
        raise invalid
    tenant = await work.session.get(Tenant, tenant_id)
    if tenant is None or tenant.disabled_at is not None:
        raise invalid
    user = await UserRepository(work.session).by_email(invitation.email)
    if user is None:
        if not name or not password:
            raise ApiInvalid(
                "to create your account, give your name and a password", code="account_details_required"
            )
        user = await create_user(
            work.session,
            platform.passwords,
            email=invitation.email,
            name=name,
            password=password,
            min_password_length=platform.settings.platform.password_min_length,
        )
    membership = await add_member(work, tenant.id, user, Role(invitation.role))
    invitation.accepted_at = now
    await work.session.flush()
    return Accepted(user, tenant, membership)
