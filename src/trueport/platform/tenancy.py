"""Which tenant a control-plane request acts on, and whether the caller's role allows the action.

Resolution, in priority order (all that are present must agree, or the answer is 403
``tenant_conflict``):

1. the access token's ``tid`` claim (a token bound with ``POST /api/v1/auth/select-tenant``);
2. the HTTP subdomain: ``acme.<platform.base_domain>``;
3. the ``X-Tenant-Slug`` header, honoured only in development.

The caller must then be a member of that tenant; the membership's role is checked against
``trueport.platform.rbac`` by ``require(permission)``. Every tenant-scoped endpoint depends on it, and
the ``TenantContext`` it returns is what repositories are scoped by.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy import select

from trueport.db.models import Membership, Tenant
from trueport.errors import ApiForbidden, ApiInvalid
from trueport.platform.context import PlatformDep, Work
from trueport.platform.principal import CurrentPrincipal, Principal
from trueport.platform.rbac import Permission, Role, allows
from trueport.platform.scoping import ScopedRepository
from trueport.settings import Settings


class _Memberships(ScopedRepository[Membership]):
    model = Membership


@dataclass(frozen=True, slots=True)
class TenantContext:
    tenant: Tenant
    principal: Principal
    role: Role

    @property
    def tenant_id(self) -> str:
        return self.tenant.id

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id


def subdomain_slug(host: str | None, base_domain: str | None) -> str | None:
    """``acme`` for ``acme.example.com[:port]`` when the base domain is ``example.com``."""
    if not host or not base_domain:
        return None
    name = host.rsplit(":", 1)[0].lower().rstrip(".") if not host.startswith("[") else ""
    suffix = "." + base_domain
    if not name.endswith(suffix):
        return None
    label = name[: -len(suffix)]
    return label if label and "." not in label else None


async def _tenant_by(work: Work, *, tenant_id: str | None = None, slug: str | None = None) -> Tenant | None:
    statement = select(Tenant)
    statement = statement.where(Tenant.id == tenant_id) if tenant_id else statement.where(Tenant.slug == slug)
    return (await work.session.execute(statement)).scalar_one_or_none()


async def resolve_tenant(
    request: Request, settings: Settings, principal: Principal, work: Work, header_slug: str | None
) -> Tenant:
    found: list[tuple[str, Tenant | None]] = []
    if principal.claims is not None and principal.claims.tenant_id is not None:
        found.append(("token", await _tenant_by(work, tenant_id=principal.claims.tenant_id)))
    slug = subdomain_slug(request.headers.get("host"), settings.platform.base_domain)
    if slug is not None:
        found.append(("subdomain", await _tenant_by(work, slug=slug)))
    if header_slug and settings.development:
        found.append(("header", await _tenant_by(work, slug=header_slug.strip().lower())))
    if not found:
        raise ApiInvalid(
            "no tenant selected: bind your token with POST /api/v1/auth/select-tenant",
            code="tenant_required",
        )
    tenants = {tenant.id if tenant is not None else None for _, tenant in found}
    if len(tenants) > 1:
        sources = ", ".join(source for source, _ in found)
        raise ApiForbidden(f"the tenant named by {sources} differs", code="tenant_conflict")
    tenant = found[0][1]
    if tenant is None or tenant.disabled_at is not None:
        raise ApiForbidden("no such tenant, or it is disabled", code="tenant_unavailable")
    return tenant


async def tenant_context(
    request: Request,
    platform: PlatformDep,
    principal: CurrentPrincipal,
    work: Work,
    x_tenant_slug: Annotated[
        str | None,
        Header(max_length=63, description="Development only: the tenant to act on, by slug."),
    ] = None,
) -> TenantContext:
    tenant = await resolve_tenant(request, platform.settings, principal, work, x_tenant_slug)
    if principal.user is None:
        raise ApiForbidden("the admin token acts on no tenant's data", code="not_a_member")
    membership = await _Memberships(work.session, tenant.id).first(Membership.user_id == principal.user.id)
    if membership is None:
        raise ApiForbidden("you are not a member of this tenant", code="not_a_member")
    return TenantContext(tenant=tenant, principal=principal, role=Role(membership.role))


CurrentTenant = Annotated[TenantContext, Depends(tenant_context)]


def require(permission: Permission) -> Callable[[TenantContext], Awaitable[TenantContext]]:
    """A dependency: the tenant context, if the caller's role there has ``permission`` (else 403)."""

    async def check(context: CurrentTenant) -> TenantContext:
        if not allows(context.role, permission):
            raise ApiForbidden(
                f"the {context.role.value} role may not do this ({permission.value})",
                code="permission_denied",
            )
        return context

    check.__name__ = f"require_{permission.name.lower()}"
    check.permission = permission  # type: ignore[attr-defined]  # read by the RBAC tests
    return check


def Allowed(permission: Permission) -> Any:  # noqa: N802 - reads as a type in signatures
    """``ctx: Annotated[TenantContext, Allowed(Permission.KEYS_WRITE)]``."""
    return Depends(require(permission))
