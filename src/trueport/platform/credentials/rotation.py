"""Master-key rotation: re-wrap every credential's data key under the active master key.

To rotate: add the new key to ``platform.master_keys``, make it ``active_master_key``, restart (new
secrets are sealed under it from then on), then run the re-wrap (``POST /api/v1/admin/master-key/rewrap``
or ``trueport master-key rewrap``). Once it reports nothing left to do, the old key may be removed.
The secrets themselves are never re-encrypted; only their 32-byte data keys are.

It works tenant by tenant, through the tenant-scoped repository, in short transactions of at most
``batch_size`` rows, so that it neither holds long locks nor needs one huge transaction. A row that
cannot be unwrapped (its master key is gone, or it was altered) is logged and left as it is.
"""

from __future__ import annotations

import structlog
from sqlalchemy import select

from trueport.db.engine import SessionFactory
from trueport.db.models import Tenant
from trueport.platform.credentials.envelope import Envelope, EnvelopeError
from trueport.platform.credentials.repository import CredentialRepository
from trueport.platform.credentials.sealing import context_of, sealed_of, store_sealed

log = structlog.get_logger(__name__)

BATCH_SIZE = 200


async def rewrap_all(sessions: SessionFactory, envelope: Envelope, *, batch_size: int = BATCH_SIZE) -> int:
    """Re-wrap every data key not yet under ``envelope.active``; how many were re-wrapped."""
    async with sessions() as session:
        tenant_ids = list((await session.execute(select(Tenant.id).order_by(Tenant.id))).scalars())
    total = 0
    for tenant_id in tenant_ids:
        total += await _rewrap_tenant(sessions, envelope, tenant_id, batch_size)
    log.info("credentials_rewrapped", count=total, active_master_key=envelope.active)
    return total


async def _rewrap_tenant(
    sessions: SessionFactory, envelope: Envelope, tenant_id: str, batch_size: int
) -> int:
    done, after = 0, ""
    while True:
        async with sessions() as session:
            rows = await CredentialRepository(session, tenant_id).wrapped_by_other_keys(
                envelope.active, after=after, limit=batch_size
            )
            for row in rows:
                try:
                    store_sealed(row, envelope.rewrap(sealed_of(row), context=context_of(row)))
                except EnvelopeError as exc:
                    log.warning("credential_rewrap_failed", credential_id=row.id, reason=exc.code)
                    continue
                done += 1
            await session.commit()
        if len(rows) < batch_size:
            return done
        after = rows[-1].id
