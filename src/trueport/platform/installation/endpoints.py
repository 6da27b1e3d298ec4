"""HTTP endpoints of ``/admin/providers/health`` and ``/admin/usage`` (platform admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from trueport.platform.context import PlatformDep, Work
from trueport.platform.installation import service
from trueport.platform.installation.schemas import InstallationUsageOut, ProvidersHealthOut
from trueport.platform.principal import PlatformAdmin

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get(
    "/providers/health",
    summary="Circuit breaker state of every provider target (platform admins)",
    description="As the answering process sees it: with Redis, the state every replica shares.",
)
async def providers_health(_: PlatformAdmin, platform: PlatformDep) -> ProvidersHealthOut:
    return await service.providers_health(platform.breakers)


@router.get(
    "/usage",
    summary="Usage summed per tenant (platform admins)",
    description="Requests, errors, tokens, cost and guard violations per tenant over `[since, until)` "
    "(the last 24 hours by default; `since` rounded down to its hour; at most 366 days). 400 "
    "`invalid_range` otherwise.",
)
async def installation_usage(
    _: PlatformAdmin,
    work: Work,
    since: Annotated[
        datetime | None, Query(description="ISO 8601; 24 hours before `until` if absent.")
    ] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; now if absent.")] = None,
) -> InstallationUsageOut:
    return await service.usage(work, since, until)
