"""A route suite's eval key: the tenant's own virtual key its calls are made with.

Each route suite has one key in its tenant (``eval: <suite name>``, allowed only the suite's route),
created with the suite, listed with the tenant's keys and revoked when the suite is deleted. Its
secret is never stored: a run sets a fresh one (``open_eval_key``, active for ``RUN_KEY_TTL`` at
most) and expires it when it ends (``close_eval_key``), so between runs the key is expired and
nothing can call with it. Every call of a run is therefore an ordinary authenticated call of that
key: in the request records, usage and audit trail under its id, under its and the tenant's limits
and budgets, billed like any other call. A gateway learns the new secret on its first call (its key
cache looks an unknown key up once); the previous secret, still cached, has expired.

A key revoked by a person stays revoked: the suite's calls then fail authentication (401), which
each case reports; delete and re-create the suite to get a new key.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.engine import SessionFactory
from trueport.db.models import ApiKey, EvalSuite, new_id, utcnow
from trueport.keys.crypto import display_prefix, generate_key, hash_key
from trueport.keys.repository import KeyRepository
from trueport.keys.service import MAX_NAME_LENGTH

RUN_KEY_TTL = timedelta(minutes=30)  # the longest a run's secret works, should the run never end


def eval_key_name(suite_name: str) -> str:
    return f"eval: {suite_name}"[:MAX_NAME_LENGTH]


async def add_eval_key(session: AsyncSession, tenant_id: str, suite: EvalSuite, hmac_secret: bytes) -> None:
    """Give ``suite`` a key of its own, expired until a run opens it."""
    now = utcnow()
    secret = generate_key()  # thrown away: the first run sets the one it uses
    key = ApiKey(
        id=new_id(),
        tenant_id=tenant_id,
        name=eval_key_name(suite.name),
        key_hash=hash_key(hmac_secret, secret),
        prefix=display_prefix(secret),
        models=[suite.route] if suite.route else None,
        expires_at=now,
        created_at=now,
        updated_at=now,
    )
    KeyRepository(session).add(key)
    suite.key_id = key.id


async def update_eval_key(session: AsyncSession, tenant_id: str, suite: EvalSuite) -> None:
    """Follow the suite's name and route."""
    key = await _key(session, tenant_id, suite)
    if key is not None:
        key.name = eval_key_name(suite.name)
        key.models = [suite.route] if suite.route else None
        key.updated_at = utcnow()


async def revoke_eval_key(session: AsyncSession, tenant_id: str, suite: EvalSuite) -> None:
    key = await _key(session, tenant_id, suite)
    if key is not None and key.revoked_at is None:
        key.revoked_at = key.updated_at = utcnow()


async def open_eval_key(sessions: SessionFactory, suite: EvalSuite, hmac_secret: bytes) -> str | None:
    """A fresh secret for the suite's key, active for this run; None if the key is gone or revoked."""
    secret = generate_key()
    async with sessions() as session:
        key = await _key(session, suite.tenant_id, suite)
        if key is None or key.revoked_at is not None:
            return None
        now = utcnow()
        key.key_hash = hash_key(hmac_secret, secret)
        key.prefix = display_prefix(secret)
        key.expires_at = now + RUN_KEY_TTL
        key.updated_at = now
        await session.commit()
    return secret


async def close_eval_key(sessions: SessionFactory, suite: EvalSuite) -> None:
    """Expire the run's secret now."""
    async with sessions() as session:
        key = await _key(session, suite.tenant_id, suite)
        if key is not None:
            key.expires_at = key.updated_at = utcnow()
            await session.commit()


async def _key(session: AsyncSession, tenant_id: str, suite: EvalSuite) -> ApiKey | None:
    if suite.key_id is None:
        return None
    return await KeyRepository(session).get_for_tenant(tenant_id, suite.key_id)
