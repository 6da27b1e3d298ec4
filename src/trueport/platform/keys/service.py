"""What ``/keys`` does: the data layer's key rules (``trueport.keys.service``), within one tenant.

Keys are fetched through the tenant-scoped ``KeyRepo`` (a foreign or malformed id is simply not
found), the data layer's refusals become API errors, and every write marks the configuration as
changed so that the gateways' key caches reload at once instead of at their next refresh.

A key belongs to the user who created it (a rotation keeps its owner). Changing, rotating or
revoking a key needs ``keys:manage-all`` (owners and admins) unless it is the caller's own: a member
cannot touch another's key (403 ``not_key_owner``). When a member leaves the tenant, the keys they
created are revoked (``revoke_keys_of``), in the same transaction, so the audit trail shows each
revocation with the remover as actor.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import structlog

from trueport.db.models import ApiKey
from trueport.errors import ApiConflict, ApiForbidden, ApiInvalid, ApiNotFound
from trueport.keys import service as keys
from trueport.keys.service import KeyStatus
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.keys.repository import KeyRepo
from trueport.platform.keys.schemas import KeyCreate, KeyUpdate
from trueport.platform.pagination import PageQuery
from trueport.platform.rbac import Permission, allows
from trueport.platform.tenancy import TenantContext

log = structlog.get_logger(__name__)


def _refused(exc: keys.KeyError_) -> ApiInvalid | ApiConflict:
    if isinstance(exc, keys.KeyInactive):
        return ApiConflict(str(exc), code="key_inactive")
    return ApiInvalid(str(exc), code="invalid_key_request")


async def find_key(work: UnitOfWork, ctx: TenantContext, key_id: str) -> ApiKey:
    try:
        uuid.UUID(key_id)
    except ValueError:
        raise ApiNotFound("no such key", code="key_not_found") from None
    key = await KeyRepo(work.session, ctx.tenant_id).get(key_id)
    if key is None:
        raise ApiNotFound("no such key", code="key_not_found")
    return key


async def _managed_key(work: UnitOfWork, ctx: TenantContext, key_id: str) -> ApiKey:
    """The key, if the caller may change it: their own, or any with ``keys:manage-all``."""
    key = await find_key(work, ctx, key_id)
    if not allows(ctx.role, Permission.KEYS_MANAGE_ALL) and (
        ctx.user_id is None or key.created_by != ctx.user_id
    ):
        raise ApiForbidden(
            f"this key belongs to someone else: the {ctx.role.value} role may manage only its own keys",
            code="not_key_owner",
        )
    return key


async def revoke_keys_of(work: UnitOfWork, tenant_id: str, user_id: str) -> list[ApiKey]:
    """Revoke every key ``user_id`` created in ``tenant_id`` (they are leaving it)."""
    revoked = [
        await keys.revoke(work.session, key)
        for key in await KeyRepo(work.session, tenant_id).unrevoked_created_by(user_id)
    ]
    if revoked:
        work.config_changed()
        log.info("member_keys_revoked", tenant_id=tenant_id, user_id=user_id, keys=[k.id for k in revoked])
    return revoked


async def list_keys(
    work: UnitOfWork, ctx: TenantContext, query: PageQuery, status: KeyStatus | None
) -> tuple[list[ApiKey], bool]:
    return await KeyRepo(work.session, ctx.tenant_id).page_by_status(query, status, datetime.now(UTC))


async def create_key(
    work: UnitOfWork, platform: Platform, ctx: TenantContext, body: KeyCreate
) -> keys.CreatedKey:
    try:
        created = await keys.create_key(
            work.session,
            ctx.tenant,
            hmac_secret=platform.key_secret,
            name=body.name,
            models=body.models,
            rpm_limit=body.rpm_limit,
            tpm_limit=body.tpm_limit,
            expires_in=timedelta(seconds=body.expires_in_s) if body.expires_in_s is not None else None,
            expires_at=body.expires_at,
            created_by=ctx.user_id,
        )
    except keys.KeyError_ as exc:
        raise _refused(exc) from exc
    work.config_changed()
    log.info("key_created", key_id=created.key.id, tenant_id=ctx.tenant_id)
    return created


async def update_key(work: UnitOfWork, ctx: TenantContext, key_id: str, body: KeyUpdate) -> ApiKey:
    key = await _managed_key(work, ctx, key_id)
    given = body.model_fields_set
    try:
        await keys.update_key(
            work.session,
            key,
            name=body.name if "name" in given and body.name is not None else keys.KEEP,
            models=body.models if "models" in given else keys.KEEP,
            rpm_limit=body.rpm_limit if "rpm_limit" in given else keys.KEEP,
            tpm_limit=body.tpm_limit if "tpm_limit" in given else keys.KEEP,
            expires_at=body.expires_at if "expires_at" in given else keys.KEEP,
        )
    except keys.KeyError_ as exc:
        raise _refused(exc) from exc
    work.config_changed()
    log.info("key_updated", key_id=key.id, tenant_id=ctx.tenant_id, fields=sorted(given))
    return key


async def revoke_key(work: UnitOfWork, ctx: TenantContext, key_id: str) -> ApiKey:
    key = await _managed_key(work, ctx, key_id)
    if key.revoked_at is None:
        await keys.revoke(work.session, key)
        work.config_changed()
        log.info("key_revoked", key_id=key.id, tenant_id=ctx.tenant_id)
    return key


async def rotate_key(
    work: UnitOfWork, platform: Platform, ctx: TenantContext, key_id: str, overlap_s: int | None
) -> keys.CreatedKey:
    key = await _managed_key(work, ctx, key_id)
    if overlap_s is None:
        overlap_s = platform.settings.platform.key_rotation_overlap_s
    try:
        created = await keys.rotate_key(
            work.session, key, hmac_secret=platform.key_secret, overlap=timedelta(seconds=overlap_s)
        )
    except keys.KeyError_ as exc:
        raise _refused(exc) from exc
    work.config_changed()
    log.info(
        "key_rotated", key_id=key.id, new_key_id=created.key.id, tenant_id=ctx.tenant_id, overlap_s=overlap_s
    )
    return created
