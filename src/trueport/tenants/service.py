"""Rules for tenants: slugs are DNS labels (they become subdomains later) and unique."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import Tenant
from trueport.tenants.repository import TenantRepository

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TenantError(ValueError):
    """A tenant cannot be created or found; the message says why."""


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise TenantError(
            f"invalid tenant slug {slug!r}: use 1-63 lowercase letters, digits and inner hyphens"
        )
    return slug


async def create_tenant(
    session: AsyncSession,
    slug: str,
    name: str | None = None,
    *,
    rpm_limit: int | None = None,
    tpm_limit: int | None = None,
) -> Tenant:
    repository = TenantRepository(session)
    check_slug(slug)
    for label, limit in (("rpm", rpm_limit), ("tpm", tpm_limit)):
        if limit is not None and limit <= 0:
            raise TenantError(f"{label} must be a positive number")
    if await repository.get_by_slug(slug) is not None:
        raise TenantError(f"tenant {slug!r} already exists")
    tenant = Tenant(slug=slug, name=name or slug, rpm_limit=rpm_limit, tpm_limit=tpm_limit)
    repository.add(tenant)
    await session.flush()
    return tenant


async def require_tenant(session: AsyncSession, slug: str) -> Tenant:
    tenant = await TenantRepository(session).get_by_slug(slug)
    if tenant is None:
        raise TenantError(f"no tenant {slug!r}")
    return tenant
