"""HTTP endpoints of ``/settings``: the tenant's settings and feature flags, and its region pinning."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import Work
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext
from trueport.platform.tenant_settings import service
from trueport.platform.tenant_settings.schemas import RegionsIn, RegionsOut, SettingsOut, SettingsPatch

router = APIRouter(prefix="/settings", tags=["settings"])

Reader = Annotated[TenantContext, Allowed(Permission.TENANT_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.TENANT_WRITE)]

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The first settings of the tenant were saved at the same moment"}
}


@router.get("", summary="Read the tenant's settings and feature flags")
async def read_settings(ctx: Reader, work: Work) -> SettingsOut:
    return await service.read(work.session, ctx.tenant_id)


@router.patch(
    "",
    summary="Change settings and feature flags",
    description="Merges the given names into the tenant's settings and flags; a name set to `null` is "
    "deleted. 400 `too_many_settings`, `too_many_feature_flags` or `settings_too_large` when the result "
    "would exceed the bounds.",
    responses=_CONFLICT,
)
async def update_settings(ctx: Writer, work: Work, body: SettingsPatch) -> SettingsOut:
    return await service.update(work, ctx.tenant_id, body)


@router.get("/regions", summary="Read the tenant's region pinning")
async def read_regions(ctx: Reader, work: Work) -> RegionsOut:
    return await service.read_regions(work.session, ctx.tenant_id)


@router.put(
    "/regions",
    summary="Pin the tenant's calls to regions",
    description="Replaces the tenant's allowed regions: its calls are then served only by providers whose "
    "region is listed, primary, failover and fallback alike (a provider with no region is outside); a call "
    "no allowed target can serve fails with 403 `region_unavailable`. `null` removes the pinning. The change "
    "is audited and reaches the gateways with the next configuration push.",
)
async def set_regions(ctx: Writer, work: Work, body: RegionsIn) -> RegionsOut:
    return await service.set_regions(work, ctx.tenant_id, body)
