"""Queries on a tenant's provider credentials (always scoped to the tenant)."""

from __future__ import annotations

from collections.abc import Sequence

from trueport.db.models import ProviderCredential
from trueport.platform.scoping import ScopedRepository


class CredentialRepository(ScopedRepository[ProviderCredential]):
    model = ProviderCredential

    async def by_name(self, name: str) -> ProviderCredential | None:
        return await self.first(ProviderCredential.name == name)

    async def names(self) -> set[str]:
        return {row.name for row in await self.all()}

    async def wrapped_by_other_keys(
        self, active: str, *, after: str, limit: int
    ) -> Sequence[ProviderCredential]:
        """Up to ``limit`` rows (by id, after ``after``) whose data key another master key wraps.

        Locked for update (PostgreSQL) so that a concurrent change of the key cannot interleave with
        the re-wrap and leave a ciphertext beside another record's data key.
        """
        result = await self.session.execute(
            self.select()
            .where(ProviderCredential.master_key_id != active, ProviderCredential.id > after)
            .order_by(ProviderCredential.id)
            .limit(limit)
            .with_for_update()
        )
        return result.scalars().all()
