"""What platform admins do with tenants: create (optionally inviting the first owner), list, edit,
disable. Limits and the disabled state are cached by the gateways, so changes announce themselves
(``config_changed``); a disabled tenant's keys stop working and its members cannot act on it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from trueport.db.models import Invitation, Tenant, User, utcnow
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.mail.mailer import OutgoingMail
from trueport.platform.members import invitations
from trueport.platform.pagination import PageQuery
from trueport.platform.rbac import Role
from trueport.platform.tenants.repository import TenantAdminRepo
from trueport.platform.tenants.schemas import TenantIn, TenantPatch
from trueport.tenants.repository import TenantRepository
from trueport.tenants.service import TenantError, check_slug, create_tenant


@dataclass(frozen=True, slots=True)
class Created:
    tenant: Tenant
    invitation: Invitation | None
    mail: OutgoingMail | None  # the owner's invitation, for the caller to send after the commit


async def list_tenants(work: UnitOfWork, query: PageQuery) -> tuple[list[Tenant], bool]:
    return await TenantAdminRepo(work.session).page(query)


async def find(work: UnitOfWork, tenant_id: str) -> Tenant:
    tenant = await TenantAdminRepo(work.session).get(tenant_id)
    if tenant is None:
        raise ApiNotFound("no such tenant", code="tenant_not_found")
    return tenant


async def create(work: UnitOfWork, platform: Platform, body: TenantIn, inviter: User | None) -> Created:
    try:
        check_slug(body.slug)
    except TenantError as exc:
        raise ApiInvalid(str(exc), code="invalid_slug") from exc
    taken = ApiConflict(f"the slug {body.slug!r} is taken", code="slug_taken")
    if await TenantRepository(work.session).get_by_slug(body.slug) is not None:
        raise taken
    try:
        tenant = await create_tenant(
            work.session, body.slug, body.name, rpm_limit=body.rpm_limit, tpm_limit=body.tpm_limit
        )
    except IntegrityError as exc:  # created at the same moment by another request
        raise taken from exc
    except TenantError as exc:
        raise ApiInvalid(str(exc)) from exc
    work.config_changed()
    if body.owner_email is None:
        return Created(tenant, None, None)
    invitation, mail = await invitations.invite(work, platform, tenant, body.owner_email, Role.OWNER, inviter)
    return Created(tenant, invitation, mail)


async def update(work: UnitOfWork, tenant_id: str, patch: TenantPatch) -> Tenant:
    tenant = await find(work, tenant_id)
    given = patch.model_fields_set
    if patch.name is not None:
        tenant.name = patch.name
    if "rpm_limit" in given:
        tenant.rpm_limit = patch.rpm_limit
    if "tpm_limit" in given:
        tenant.tpm_limit = patch.tpm_limit
    if patch.disabled is not None and patch.disabled != (tenant.disabled_at is not None):
        tenant.disabled_at = utcnow() if patch.disabled else None
    await work.session.flush()
    work.config_changed()
    return tenant
