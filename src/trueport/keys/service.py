"""Rules for virtual keys: creation (the secret is shown once), changes, revocation and rotation.

Callers pass the tenant (or a key already fetched within it); the control plane fetches keys through
its tenant-scoped repository and the CLI through ``revoke_key``'s own lookup. Functions flush; the
caller commits. Gateways learn of every change by their key cache's refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import ApiKey, Tenant
from trueport.keys.crypto import display_prefix, generate_key, hash_key
from trueport.keys.repository import KeyRepository

MAX_NAME_LENGTH = 200  # the column's width


class KeyError_(ValueError):  # noqa: N801 - avoids shadowing the builtin KeyError
    """A key cannot be created or changed; the message says why."""


class KeyInactive(KeyError_):
    """The key is revoked or expired, so it cannot be rotated or changed (a conflict, not a bad request)."""


class KeyStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP
"""``update_key``'s default for a field to leave alone (``None`` means "clear it")."""


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the only time the plain key exists outside the client


def key_status(key: ApiKey, now: datetime | None = None) -> KeyStatus:
    """Revocation wins over expiry: a revoked key stays revoked whatever its expiry says."""
    if key.revoked_at is not None:
        return KeyStatus.REVOKED
    if key.expires_at is not None and key.expires_at <= (now or datetime.now(UTC)):
        return KeyStatus.EXPIRED
    return KeyStatus.ACTIVE


def _check_name(name: str) -> str:
    if len(name) > MAX_NAME_LENGTH:
        raise KeyError_(f"a key's name has at most {MAX_NAME_LENGTH} characters")
    return name


def _check_limit(label: str, value: int | None) -> int | None:
    if value is not None and value <= 0:
        raise KeyError_(f"{label} must be a positive number")
    return value


def _check_models(models: list[str] | None) -> list[str] | None:
    """Sorted, deduplicated aliases; ``None`` (every model) stays ``None``, but an empty list is refused
    because a key that may use no model is a mistake, not a policy."""
    if models is None:
        return None
    cleaned = sorted({m.strip() for m in models if m.strip()})
    if not cleaned:
        raise KeyError_("models, when given, must name at least one model")
    return cleaned


def _check_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise KeyError_("expiry must carry a time zone")
    if expires_at <= now:
        raise KeyError_("expiry must be in the future")
    try:
        return expires_at.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-12:00 is in year 10000 in UTC
        raise KeyError_("expiry is beyond the calendar") from None


async def _add_key(
    session: AsyncSession,
    tenant_id: str,
    *,
    hmac_secret: bytes,
    name: str,
    models: list[str] | None,
    rpm_limit: int | None,
    tpm_limit: int | None,
    expires_at: datetime | None,
    now: datetime,
    created_by: str | None,
) -> CreatedKey:
    secret = generate_key()
    key = ApiKey(
        tenant_id=tenant_id,
        name=name,
        key_hash=hash_key(hmac_secret, secret),
        prefix=display_prefix(secret),
        models=models,
        rpm_limit=rpm_limit,
        tpm_limit=tpm_limit,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
        created_by=created_by,
    )
    KeyRepository(session).add(key)
    await session.flush()
    return CreatedKey(key=key, secret=secret)


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
    expires_at: datetime | None = None,
    created_by: str | None = None,
) -> CreatedKey:
    """A new key of ``tenant``, owned by the user ``created_by`` (None: the operator's, from the CLI).

    Give at most one of ``expires_in`` and ``expires_at``.
    """
    now = datetime.now(UTC)
    if expires_in is not None and expires_at is not None:
        raise KeyError_("give either an expiry time or a lifetime, not both")
    if expires_in is not None:
        if expires_in <= timedelta(0):
            raise KeyError_("expiry must be in the future")
        expires_at = now + expires_in
    return await _add_key(
        session,
        tenant.id,
        hmac_secret=hmac_secret,
        name=_check_name(name),
        models=_check_models(models),
        rpm_limit=_check_limit("rpm", rpm_limit),
        tpm_limit=_check_limit("tpm", tpm_limit),
        expires_at=_check_expiry(expires_at, now),
        now=now,
        created_by=created_by,
    )


async def update_key(
    session: AsyncSession,
    key: ApiKey,
    *,
    name: str | _Keep = KEEP,
    models: list[str] | _Keep | None = KEEP,
    rpm_limit: int | _Keep | None = KEEP,
    tpm_limit: int | _Keep | None = KEEP,
    expires_at: datetime | _Keep | None = KEEP,
) -> ApiKey:
    """Change what is given (``None`` clears a limit, the model list or the expiry); a revoked key is final."""
    if key.revoked_at is not None:
        raise KeyInactive("the key is revoked; create a new one instead")
    now = datetime.now(UTC)
    if not isinstance(name, _Keep):
        key.name = _check_name(name)
    if not isinstance(models, _Keep):
        key.models = _check_models(models)
    if not isinstance(rpm_limit, _Keep):
        key.rpm_limit = _check_limit("rpm", rpm_limit)
    if not isinstance(tpm_limit, _Keep):
        key.tpm_limit = _check_limit("tpm", tpm_limit)
    if not isinstance(expires_at, _Keep):
        key.expires_at = _check_expiry(expires_at, now)
    key.updated_at = now
    await session.flush()
    return key


async def revoke(session: AsyncSession, key: ApiKey) -> ApiKey:
    """Revoke ``key`` now; revoking it again changes nothing (the first revocation time stays)."""
    if key.revoked_at is None:
        now = datetime.now(UTC)
        key.revoked_at = now
        key.updated_at = now
        await session.flush()
    return key


async def revoke_key(session: AsyncSession, tenant: Tenant, key_id: str) -> ApiKey:
    key = await KeyRepository(session).get_for_tenant(tenant.id, key_id)
    if key is None:
        raise KeyError_(f"tenant {tenant.slug!r} has no key {key_id!r}")
    return await revoke(session, key)


async def rotate_key(
    session: AsyncSession, key: ApiKey, *, hmac_secret: bytes, overlap: timedelta
) -> CreatedKey:
    """A new key with the same name, models, limits and expiry; the old one lives ``overlap`` longer.

    The old key's expiry becomes the earlier of its own and ``now + overlap``, so a rotation never
    extends a key's life; an overlap of zero revokes it at once. Only an active key can be rotated:
    rotating a revoked or expired one would resurrect access that was meant to end.
    """
    now = datetime.now(UTC)
    status = key_status(key, now)
    if status is not KeyStatus.ACTIVE:
        raise KeyInactive(f"the key is {status.value}; only an active key can be rotated")
    if overlap < timedelta(0):
        raise KeyError_("the overlap cannot be negative")
    created = await _add_key(
        session,
        key.tenant_id,
        hmac_secret=hmac_secret,
        name=key.name,
        models=list(key.models) if key.models is not None else None,
        rpm_limit=key.rpm_limit,
        tpm_limit=key.tpm_limit,
        expires_at=key.expires_at,
        now=now,
        created_by=key.created_by,  # a rotation does not change whose key it is
    )
    if overlap == timedelta(0):
        key.revoked_at = now
    else:
        end = now + overlap
        key.expires_at = end if key.expires_at is None else min(key.expires_at, end)
    key.updated_at = now
    await session.flush()
    return created
