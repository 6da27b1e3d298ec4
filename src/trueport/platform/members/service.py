"""Rules for a tenant's members: who may change whose role, and that a tenant always keeps an owner.

Members with ``members:write`` (owners and admins) change roles and remove members; anything that
grants or takes away the owner role (promoting to owner, demoting or removing an owner) also needs
``owners:write``, which only owners have. The last owner can be neither demoted nor removed
(409 ``last_owner``): a tenant without an owner could never get one back without a platform admin.

Removing a member revokes every key they created in the tenant (not reassigned: a key nobody
present asked for should stop working), in the same transaction as the removal; each revocation is
a control-plane audit event whose actor is the remover, and the gateways are told at once.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from trueport.db.models import Membership, User
from trueport.errors import ApiConflict, ApiForbidden, ApiNotFound
from trueport.platform.context import UnitOfWork
from trueport.platform.keys.service import revoke_keys_of
from trueport.platform.members.repository import MemberRepo
from trueport.platform.pagination import PageQuery
from trueport.platform.rbac import Permission, Role, allows
from trueport.platform.tenancy import TenantContext
from trueport.platform.users.repository import UserRepository


def require_owner_rights(ctx: TenantContext, *roles: Role) -> None:
    """403 unless the caller may grant or take away ``owner``, when it is among ``roles``."""
    if Role.OWNER in roles and not allows(ctx.role, Permission.OWNERS_WRITE):
        raise ApiForbidden("only owners may grant or take away the owner role", code="permission_denied")


async def list_members(
    work: UnitOfWork, ctx: TenantContext, query: PageQuery
) -> tuple[list[tuple[Membership, User]], bool]:
    rows, more = await MemberRepo(work.session, ctx.tenant_id).page(query)
    users = await UserRepository(work.session).by_ids({row.user_id for row in rows})
    return [(row, users[row.user_id]) for row in rows if row.user_id in users], more


async def _find(repo: MemberRepo, member_id: str) -> Membership:
    membership = await repo.get(member_id)
    if membership is None:
        raise ApiNotFound("no such member in this tenant", code="member_not_found")
    return membership


async def _keep_an_owner(repo: MemberRepo, membership: Membership) -> None:
    if membership.role != Role.OWNER.value:
        return
    owners = await repo.owners(lock=True)
    if all(owner.id == membership.id for owner in owners):
        raise ApiConflict("a tenant must keep at least one owner", code="last_owner")


async def change_role(
    work: UnitOfWork, ctx: TenantContext, member_id: str, role: Role
) -> tuple[Membership, User]:
    repo = MemberRepo(work.session, ctx.tenant_id)
    membership = await _find(repo, member_id)
    require_owner_rights(ctx, Role(membership.role), role)
    if role is not Role.OWNER:
        await _keep_an_owner(repo, membership)
    membership.role = role.value
    await work.session.flush()
    user = await UserRepository(work.session).get(membership.user_id)
    assert user is not None  # memberships are deleted with their user
    return membership, user


async def remove(work: UnitOfWork, ctx: TenantContext, member_id: str) -> None:
    repo = MemberRepo(work.session, ctx.tenant_id)
    membership = await _find(repo, member_id)
    require_owner_rights(ctx, Role(membership.role))
    await _keep_an_owner(repo, membership)
    await repo.delete(membership)
    await revoke_keys_of(work, ctx.tenant_id, membership.user_id)
    await work.session.flush()


async def add_member(work: UnitOfWork, tenant_id: str, user: User, role: Role) -> Membership:
    """Make ``user`` a member of ``tenant_id`` (invitations); 409 if they already are."""
    repo = MemberRepo(work.session, tenant_id)
    if await repo.of_user(user.id) is not None:
        raise ApiConflict("you are already a member of this tenant", code="already_a_member")
    membership = repo.add(Membership(user_id=user.id, role=role.value))
    try:
        await work.session.flush()
    except IntegrityError as exc:  # joined at the same moment by another request
        raise ApiConflict("you are already a member of this tenant", code="already_a_member") from exc
    return membership
