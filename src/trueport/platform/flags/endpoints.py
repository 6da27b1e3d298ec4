"""HTTP endpoints of ``/flags`` (a tenant's own rules) and ``/admin/flags`` (installation-wide)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response

from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import PlatformDep, Work
from trueport.platform.flags import service
from trueport.platform.flags.schemas import (
    FlagsOut,
    InstallationFlagOut,
    InstallationFlagRule,
    InstallationFlagsOut,
    TenantFlagOut,
    TenantFlagRule,
)
from trueport.platform.principal import PlatformAdmin
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/flags", tags=["flags"])
admin_router = APIRouter(prefix="/admin/flags", tags=["admin"])

Reader = Annotated[TenantContext, Allowed(Permission.TENANT_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.TENANT_WRITE)]

_UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "`unknown_flag`: no feature flag has this name"}
}
_UNKNOWN_KEY: dict[int | str, dict[str, Any]] = {
    **_UNKNOWN,
    400: {"model": ErrorBody, "description": "`unknown_key`: a key in `keys` is not the tenant's"},
}


@router.get("", summary="Every known feature flag: the tenant's rule and the installation's")
async def list_flags(ctx: Reader, work: Work, platform: PlatformDep) -> FlagsOut:
    return await service.tenant_flags(work, platform.settings, ctx.tenant_id)


@router.put(
    "/{name}",
    summary="Set the tenant's rule for a flag",
    description="Replaces the tenant's rule for this flag (it wins over the installation's). The flag is "
    "on for the listed keys and for `percent` % of the tenant's other keys, chosen by a stable hash of "
    "the flag's name and the key's id. Gateways apply it within seconds.",
    responses=_UNKNOWN_KEY,
)
async def set_flag(
    ctx: Writer, work: Work, platform: PlatformDep, name: str, body: TenantFlagRule
) -> TenantFlagOut:
    return await service.set_tenant_flag(work, platform.settings, ctx.tenant_id, name, body)


@router.delete(
    "/{name}",
    status_code=204,
    response_class=Response,
    summary="Remove the tenant's rule for a flag (the installation's applies again)",
    responses=_UNKNOWN,
)
async def clear_flag(ctx: Writer, work: Work, name: str) -> Response:
    await service.clear_tenant_flag(work, ctx.tenant_id, name)
    return Response(status_code=204)


@admin_router.get("", summary="Every known feature flag installation-wide (platform admins)")
async def list_installation_flags(
    _: PlatformAdmin, work: Work, platform: PlatformDep
) -> InstallationFlagsOut:
    return await service.installation_flags(work, platform.settings)


@admin_router.put(
    "/{name}",
    summary="Set a flag's installation-wide rule (platform admins)",
    description="Replaces the config file's rule for this flag for every tenant without a rule of its own.",
    responses=_UNKNOWN,
)
async def set_installation_flag(
    _: PlatformAdmin, work: Work, platform: PlatformDep, name: str, body: InstallationFlagRule
) -> InstallationFlagOut:
    return await service.set_installation_flag(work, platform.settings, name, body)


@admin_router.delete(
    "/{name}",
    status_code=204,
    response_class=Response,
    summary="Remove a flag's installation-wide rule set through the API (platform admins)",
    responses=_UNKNOWN,
)
async def clear_installation_flag(_: PlatformAdmin, work: Work, name: str) -> Response:
    await service.clear_installation_flag(work, name)
    return Response(status_code=204)
