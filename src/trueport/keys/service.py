"""Rules for virtual keys: creation (the secret is shown once), listing and revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import ApiKey, Tenant
from trueport.keys.crypto import display_prefix, generate_key, hash_key
from trueport.keys.repository import KeyRepository


class KeyError_(ValueError):  # noqa: N801 - avoids shadowing the builtin KeyError
    """A key cannot be created or changed; the message says why."""


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the only time the plain key exists outside the client


async def create_key(
    session: AsyncSession,
    tenant: Tenant,
    *,
    hmac_secret: bytes,
    name: str = "",
    models: list[str] | None = None,
    rpm_limit: int | None = None,
    tpm_limit: int | None = None,
    expires_in: timedelta | None = None,
) -> CreatedKey:
    if rpm_limit is not None and rpm_limit <= 0:
        raise KeyError_("rpm must be a positive number")
    if tpm_limit is not None and tpm_limit <= 0:
        raise KeyError_("tpm must be a positive number")
    if expires_in is not None and expires_in <= timedelta(0):
        raise KeyError_("expiry must be in the future")
    if models is not None:
        models = sorted({m.strip() for m in models if m.strip()})
        if not models:
            raise KeyError_("models, when given, must name at least one model")
    secret = generate_key()
    now = datetime.now(UTC)
    key = ApiKey(
        tenant_id=tenant.id,
        name=name,
        key_hash=hash_key(hmac_secret, secret),
        prefix=display_prefix(secret),
        models=models,
        rpm_limit=rpm_limit,
        tpm_limit=tpm_limit,
        expires_at=now + expires_in if expires_in is not None else None,
        created_at=now,
        updated_at=now,
    )
    KeyRepository(session).add(key)
    await session.flush()
    return CreatedKey(key=key, secret=secret)


async def revoke_key(session: AsyncSession, tenant: Tenant, key_id: str) -> ApiKey:
    key = await KeyRepository(session).get_for_tenant(tenant.id, key_id)
    if key is None:
        raise KeyError_(f"tenant {tenant.slug!r} has no key {key_id!r}")
    if key.revoked_at is None:
        now = datetime.now(UTC)
        key.revoked_at = now
        key.updated_at = now
        await session.flush()
    return key
