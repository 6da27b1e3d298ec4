"""Master-key rotation: re-wrap every sealed secret's data key under the active master key.

Sealed secrets are tenants' provider credentials (their API keys) and webhook subscriptions' signing
secrets; both are re-wrapped. To rotate: add the new key to ``platform.master_keys``, make it
``active_master_key``, restart (new secrets are sealed under it from then on), then run the re-wrap
(``POST /api/v1/admin/master-key/rewrap`` or ``trueport master-key rewrap``). Once it reports nothing
left to do, the old key may be removed. The secrets themselves are never re-encrypted; only their
32-byte data keys are.

It works tenant by tenant, in short transactions of at most ``batch_size`` rows, so that it neither
holds long locks nor needs one huge transaction. A row that cannot be unwrapped (its master key is
gone, or it was altered) is logged and left as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.engine import SessionFactory
from trueport.db.models import ProviderCredential, Tenant, WebhookSubscription
from trueport.platform.credentials.envelope import Envelope, EnvelopeError, Sealed
from trueport.platform.credentials.repository import CredentialRepository
from trueport.platform.credentials.sealing import context_of
from trueport.platform.webhooks.repository import WebhookRepository
from trueport.platform.webhooks.sealing import secret_context

log = structlog.get_logger(__name__)

BATCH_SIZE = 200

SealedRow = ProviderCredential | WebhookSubscription


@dataclass(frozen=True)
class _SealedKind:
    """A table of sealed secrets: how to find one tenant's rows under another key, and their context."""

    name: str  # in log lines: "credential", "webhook_secret"
    find: Callable[[AsyncSession, str, str, str, int], Awaitable[Sequence[SealedRow]]]
    context: Callable[[SealedRow], bytes]


async def _credentials(
    session: AsyncSession, tenant_id: str, active: str, after: str, limit: int
) -> Sequence[SealedRow]:
    return await CredentialRepository(session, tenant_id).wrapped_by_other_keys(
        active, after=after, limit=limit
    )


async def _webhook_secrets(
    session: AsyncSession, tenant_id: str, active: str, after: str, limit: int
) -> Sequence[SealedRow]:
    return await WebhookRepository(session, tenant_id).wrapped_by_other_keys(active, after=after, limit=limit)


def _credential_context(row: SealedRow) -> bytes:
    assert isinstance(row, ProviderCredential)
    return context_of(row)


def _webhook_context(row: SealedRow) -> bytes:
    assert isinstance(row, WebhookSubscription)
    return secret_context(row)


_KINDS = (
    _SealedKind("credential", _credentials, _credential_context),
    _SealedKind("webhook_secret", _webhook_secrets, _webhook_context),
)


async def rewrap_all(sessions: SessionFactory, envelope: Envelope, *, batch_size: int = BATCH_SIZE) -> int:
    """Re-wrap every data key not yet under ``envelope.active``; how many were re-wrapped."""
    async with sessions() as session:
        tenant_ids = list((await session.execute(select(Tenant.id).order_by(Tenant.id))).scalars())
    total = 0
    for kind in _KINDS:
        for tenant_id in tenant_ids:
            total += await _rewrap_tenant(sessions, envelope, kind, tenant_id, batch_size)
    log.info("credentials_rewrapped", count=total, active_master_key=envelope.active)
    return total


async def _rewrap_tenant(
    sessions: SessionFactory, envelope: Envelope, kind: _SealedKind, tenant_id: str, batch_size: int
) -> int:
    done, after = 0, ""
    while True:
        async with sessions() as session:
            rows = await kind.find(session, tenant_id, envelope.active, after, batch_size)
            for row in rows:
                sealed = Sealed(row.ciphertext, row.wrapped_key, row.master_key_id)
                try:
                    rewrapped = envelope.rewrap(sealed, context=kind.context(row))
                except EnvelopeError as exc:
                    log.warning(f"{kind.name}_rewrap_failed", row_id=row.id, reason=exc.code)
                    continue
                row.ciphertext, row.wrapped_key, row.master_key_id = (
                    rewrapped.ciphertext,
                    rewrapped.wrapped_key,
                    rewrapped.master_key_id,
                )
                done += 1
            await session.commit()
        if len(rows) < batch_size:
            return done
        after = rows[-1].id
