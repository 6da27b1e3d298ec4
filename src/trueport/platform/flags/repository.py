"""The control plane's queries on flag rules: a tenant's (scoped) and the installation's."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import ApiKey, InstallationSetting, TenantFeatureFlag
from trueport.flags.registry import Flag
from trueport.flags.store import INSTALLATION_PREFIX, installation_row_name
from trueport.platform.scoping import ScopedRepository


class TenantFlagRepo(ScopedRepository[TenantFeatureFlag]):
    model = TenantFeatureFlag

    async def named(self, flag: Flag) -> TenantFeatureFlag | None:
        return await self.first(TenantFeatureFlag.name == flag.value)


class FlagKeyRepo(ScopedRepository[ApiKey]):
    model = ApiKey

    async def missing(self, key_ids: Sequence[str]) -> list[str]:
        """Those of ``key_ids`` that are not keys of this tenant."""
        if not key_ids:
            return []
        known = {key.id for key in await self.all(ApiKey.id.in_(key_ids))}
        return [key_id for key_id in key_ids if key_id not in known]


class InstallationFlagRepo:
    """``installation_settings`` rows named ``flag:<name>`` (not tenant-owned)."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def all(self) -> dict[str, str]:
        rows = await self.session.execute(
            select(InstallationSetting.name, InstallationSetting.value).where(
                InstallationSetting.name.startswith(INSTALLATION_PREFIX)
            )
        )
        return {name.removeprefix(INSTALLATION_PREFIX): value for name, value in rows}

    async def named(self, flag: Flag) -> InstallationSetting | None:
        return await self.session.get(InstallationSetting, installation_row_name(flag))

    def add(self, flag: Flag, value: str) -> InstallationSetting:
        row = InstallationSetting(name=installation_row_name(flag), value=value)
        self.session.add(row)
        return row

    async def delete(self, row: InstallationSetting) -> None:
        await self.session.delete(row)
