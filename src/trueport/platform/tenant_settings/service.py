"""What ``/settings`` does: read and merge a tenant's settings and feature flags.

The row is created by the first write. A merge reads the row under a write lock
(``SettingsRepo.locked``), so two PATCHes at the same moment both apply. On PostgreSQL two *first*
writes can still race to insert the row: the loser gets 409 ``settings_conflict`` (a retry merges). Writes mark the
configuration as changed. A feature flag named like a known flag (``trueport.flags.registry``) is that
flag's rule for the tenant (``{"enabled": <bool>}``), which the gateways evaluate; other names are the
tenant's own (for its applications and the console). Rules with targeting and rollouts: ``/flags``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import Tenant, TenantSettings, utcnow
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.jsonutil import dumps
from trueport.platform.context import UnitOfWork
from trueport.platform.tenant_settings.repository import SettingsRepo
from trueport.platform.tenant_settings.schemas import (
    MAX_ENTRIES,
    MAX_SETTINGS_BYTES,
    RegionsIn,
    RegionsOut,
    SettingsOut,
    SettingsPatch,
)

V = TypeVar("V")


def _out(row: TenantSettings | None) -> SettingsOut:
    if row is None:
        return SettingsOut(settings={}, feature_flags={}, updated_at=None)
    return SettingsOut(
        settings=dict(row.settings), feature_flags=dict(row.feature_flags), updated_at=row.updated_at
    )


async def read(session: AsyncSession, tenant_id: str) -> SettingsOut:
    return _out(await SettingsRepo(session, tenant_id).first())


async def flags_for(session: AsyncSession, tenant_id: str) -> dict[str, bool]:
    """The tenant's feature flags (empty if it never set one); a flag that is absent is off."""
    row = await SettingsRepo(session, tenant_id).first()
    return dict(row.feature_flags) if row is not None else {}


def merged(current: Mapping[str, V], changes: Mapping[str, V | None] | None) -> dict[str, V]:
    """``current`` with ``changes`` applied: ``None`` deletes a name, anything else sets it."""
    result = dict(current)
    for name, value in (changes or {}).items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def _check(settings: dict[str, object], flags: dict[str, bool]) -> None:
    if len(settings) > MAX_ENTRIES:
        raise ApiInvalid(f"a tenant has at most {MAX_ENTRIES} settings", code="too_many_settings")
    if len(flags) > MAX_ENTRIES:
        raise ApiInvalid(f"a tenant has at most {MAX_ENTRIES} feature flags", code="too_many_feature_flags")
    size = len(dumps(settings))  # the schema refused values that cannot be encoded
    if size > MAX_SETTINGS_BYTES:
        raise ApiInvalid(
            f"settings take {size} bytes encoded; the limit is {MAX_SETTINGS_BYTES}",
            code="settings_too_large",
        )


async def update(work: UnitOfWork, tenant_id: str, patch: SettingsPatch) -> SettingsOut:
    """Merge ``patch`` into the tenant's settings and flags; nothing is written if nothing changes."""
    repo = SettingsRepo(work.session, tenant_id)
    row = await repo.locked()
    current_settings: dict[str, object] = dict(row.settings) if row is not None else {}
    current_flags: dict[str, bool] = dict(row.feature_flags) if row is not None else {}
    settings = merged(current_settings, patch.settings)
    flags = merged(current_flags, patch.feature_flags)
    if settings == current_settings and flags == current_flags:
        return _out(row)
    _check(settings, flags)
    if row is None:
        row = repo.add(TenantSettings())
    # New dicts, not in-place edits: the JSON columns only see an assignment as a change.
    row.settings = settings
    row.feature_flags = flags
    row.updated_at = utcnow()
    try:
        await work.session.flush()
    except IntegrityError:  # another first write inserted the row between our read and our insert
        raise ApiConflict(
            "the settings were changed by someone else at the same time; try again", code="settings_conflict"
        ) from None
    work.config_changed()
    return _out(row)


async def _tenant(session: AsyncSession, tenant_id: str) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)  # the caller's own tenant (tenants are not tenant-owned)
    if tenant is None:
        raise ApiNotFound("no such tenant", code="tenant_not_found")
    return tenant


async def read_regions(session: AsyncSession, tenant_id: str) -> RegionsOut:
    tenant = await _tenant(session, tenant_id)
    return RegionsOut(allowed_regions=tenant.allowed_regions)


async def set_regions(work: UnitOfWork, tenant_id: str, body: RegionsIn) -> RegionsOut:
    """Replace the tenant's region pinning (audited as a change of the tenant; the gateways apply it
    when they next load the keys, at once on a pushed change)."""
    tenant = await _tenant(work.session, tenant_id)
    regions = sorted(set(body.allowed_regions)) if body.allowed_regions is not None else None
    if regions != tenant.allowed_regions:
        tenant.allowed_regions = regions
        await work.session.flush()
        work.config_changed()
    return RegionsOut(allowed_regions=regions)
