"""Queries on memberships and invitations: within one tenant (``ScopedRepository``), except
``tenants_of``, a user's own memberships across tenants.

``tenants_of`` is the one query here not scoped by tenant, on purpose: "which tenants may I pick?"
is a question about the signed-in user, answered before any tenant is chosen, and it is scoped by
that user's id instead. It returns the tenants and the user's roles, never other users' rows
(marked ``# tenant-scope:`` for the scoping check, ``tests/platform/test_scoping.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import Invitation, Membership, Tenant
from trueport.platform.rbac import Role
from trueport.platform.scoping import ScopedRepository


def is_id(value: str) -> bool:
    """Ids are UUIDs; anything else is simply not found (and never reaches the database)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class MemberRepo(ScopedRepository[Membership]):
    model = Membership

    async def get(self, row_id: str) -> Membership | None:
        return await super().get(row_id) if is_id(row_id) else None

    async def of_user(self, user_id: str) -> Membership | None:
        return await self.first(Membership.user_id == user_id)

    async def owners(self, *, lock: bool = False) -> list[Membership]:
        """The tenant's owners; ``lock`` holds their rows (PostgreSQL) until the transaction ends, so
        that two owners demoting each other at the same moment cannot leave the tenant with none."""
        statement = self.select().where(Membership.role == Role.OWNER.value).order_by(Membership.id)
        if lock:
            statement = statement.with_for_update()
        return list((await self.session.execute(statement)).scalars())


class InvitationRepo(ScopedRepository[Invitation]):
    model = Invitation

    async def get(self, row_id: str) -> Invitation | None:
        return await super().get(row_id) if is_id(row_id) else None

    async def by_digest(self, digest: str) -> Invitation | None:
        return await self.first(Invitation.token_hash == digest)

    async def pending_for(self, email: str, now: datetime) -> Invitation | None:
        return await self.first(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )

    async def claim(self, invitation_id: str) -> Invitation | None:
        """The invitation if it is still pending, its row held until the transaction ends
        (PostgreSQL): of two requests accepting it at the same moment, the second then sees it
        accepted and gets None."""
        statement = (
            self.select()
            .where(
                Invitation.id == invitation_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .with_for_update()
        )
        return (await self.session.execute(statement)).scalar_one_or_none()


async def tenants_of(session: AsyncSession, user_id: str) -> list[tuple[Tenant, str]]:
    """The enabled tenants ``user_id`` is a member of, with the user's role in each, by slug."""
    statement = (
        select(Tenant, Membership.role)  # tenant-scope: the signed-in user's own memberships, by user id
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user_id, Tenant.disabled_at.is_(None))
        .order_by(Tenant.slug)
    )
    return [(tenant, role) for tenant, role in await session.execute(statement)]
