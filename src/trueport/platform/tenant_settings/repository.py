"""The control plane's queries on ``tenant_settings``: one row per tenant, within the caller's tenant."""

from __future__ import annotations

from sqlalchemy import update

from trueport.db.models import TenantSettings
from trueport.platform.scoping import ScopedRepository


class SettingsRepo(ScopedRepository[TenantSettings]):
    model = TenantSettings

    async def locked(self) -> TenantSettings | None:
        """The row, read after taking the write lock that is held until the transaction ends.

        A merge reads, changes and writes back; without the lock, two merges at once would each
        write their own result and one would be lost. The lock is an UPDATE that changes nothing,
        because SQLite has no ``SELECT ... FOR UPDATE``: on SQLite it takes the database's write lock
        (even when no row matches), on PostgreSQL the row's lock.
        """
        touch = (
            update(TenantSettings)  # tenant-scope: filtered by self.tenant_id on the next line
            .where(TenantSettings.tenant_id == self.tenant_id)
            .values(updated_at=TenantSettings.updated_at)  # explicit, so ``onupdate`` does not apply
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(touch)
        return await self.first()
