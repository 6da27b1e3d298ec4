"""HTTP endpoints of ``/policies``: a tenant's guard policy, its versions, and the installation default."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import PlatformDep, Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.policies import service, trial
from trueport.platform.policies.schemas import PolicyIn, PolicyVersionOut, RollbackIn, TryIn, TryOut
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/policies", tags=["policies"])

Reader = Annotated[TenantContext, Allowed(Permission.TENANT_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.TENANT_WRITE)]

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "Another version was saved at the same moment"}
}


@router.get(
    "/active",
    summary="Read the active policy",
    description="The tenant's highest version, or the installation's policy (`source: installation`) "
    "if the tenant never saved one.",
)
async def read_active(ctx: Reader, work: Work, platform: PlatformDep) -> PolicyVersionOut:
    return await service.active_version(work, ctx, platform.settings.guard)


@router.put(
    "/active",
    status_code=201,
    summary="Save a new version of the policy",
    description="Appends the next version, which becomes active on every gateway within seconds. "
    "An invalid policy is refused with 400 `invalid_policy`, naming every problem.",
    responses=_CONFLICT,
)
async def save_policy(ctx: Writer, work: Work, platform: PlatformDep, body: PolicyIn) -> PolicyVersionOut:
    return PolicyVersionOut.of(await service.save(work, ctx, platform.settings.guard, body.policy))


@router.post(
    "/rollback",
    status_code=201,
    summary="Bring back an earlier version",
    description="Saves a copy of `version` as the next version (history is never rewritten).",
    responses=_CONFLICT,
)
async def rollback_policy(
    ctx: Writer, work: Work, platform: PlatformDep, body: RollbackIn
) -> PolicyVersionOut:
    return PolicyVersionOut.of(await service.rollback(work, ctx, platform.settings.guard, body.version))


@router.get(
    "/default",
    summary="Read the installation policy",
    description="The policy of tenants without one of their own: a starting point for editing.",
)
async def read_default(ctx: Reader, platform: PlatformDep) -> PolicyVersionOut:
    return service.default_version(platform.settings.guard)


@router.get("", summary="List the policy's versions")
async def list_versions(
    ctx: Reader, work: Work, q: Annotated[PageQuery, Depends(page_query)]
) -> Page[PolicyVersionOut]:
    rows, more = await service.list_versions(work, ctx, q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[PolicyVersionOut.of(row) for row in rows], next_cursor=cursor)


@router.get("/{version}", summary="Read one version of the policy")
async def read_version(ctx: Reader, work: Work, version: str) -> PolicyVersionOut:
    return PolicyVersionOut.of(await service.find_version(work, ctx, version))


@router.post(
    "/try",
    summary="Try a policy on a sample text",
    description="Scans `text` with this installation's detectors under a draft `policy` (validated as "
    "a save is: 400 `invalid_policy`) or, without one, the active policy, and answers what the gateway "
    "would do: each finding's action, whether it would block and why, and the redacted text. Nothing is "
    "recorded. A sample over 32 KiB is refused with 413 `text_too_large`; with the guard disabled, "
    "409 `guard_disabled`.",
    responses={
        409: {"model": ErrorBody, "description": "The guard is disabled on this installation"},
        413: {"model": ErrorBody, "description": "The sample is over 32 KiB"},
    },
)
async def try_policy(ctx: Reader, work: Work, platform: PlatformDep, body: TryIn) -> TryOut:
    return await trial.try_policy(work, ctx, platform.settings.guard, platform.guard, body)
