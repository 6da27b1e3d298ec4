"""HTTP endpoints of ``/settings``: the tenant's settings and feature flags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import Work
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext
from trueport.platform.tenant_settings import service
from trueport.platform.tenant_settings.schemas import SettingsOut, SettingsPatch

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
