"""The gateway's in-process copy of every active virtual key.

Requests authenticate against this dict, never against the database. It is rebuilt from the database:

- when the configuration changes: ``trueport.platform.live.ConfigWatcher`` calls ``refresh`` on a
  pushed change (a revoked key is refused within milliseconds) or when its poll of the configuration
  generation finds a change it missed (within ``platform.live_config_poll_s``);
- every ``key_refresh_interval_s`` regardless, as a safety net: the longest a change can take to be
  seen even if push and poll both fail (a key revoked by a tool that does not bump the generation);
- for a key the cache has not seen yet, by one bounded lookup whose miss is remembered for a while.

If the database is unreachable, the last good copy keeps serving (keys neither appear nor vanish until
it is back). Refreshes run one at a time, so a slow refresh that started before a revocation can never
overwrite the newer copy made after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.exc import SQLAlchemyError

from trueport.db.engine import SessionFactory
from trueport.db.models import ApiKey, Tenant
from trueport.keys.crypto import hash_key, is_well_formed
from trueport.keys.repository import KeyRepository

log = structlog.get_logger(__name__)

_MISS_TTL_S = 5.0
_MAX_MISSES = 10_000
_MAX_CONCURRENT_LOOKUPS = 4


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a request needs to know about its key; no secret in here."""

    id: str
    tenant_id: str
    tenant_slug: str
    name: str
    models: frozenset[str] | None  # None: every model
    rpm_limit: int | None
    tpm_limit: int | None
    tenant_rpm_limit: int | None
    tenant_tpm_limit: int | None
    expires_at: float | None  # epoch seconds
    tenant_regions: frozenset[str] | None = None  # the tenant's region pinning; None: not pinned

    def allows(self, alias: str) -> bool:
        return self.models is None or alias in self.models

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def key_info(key: ApiKey, tenant: Tenant) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        tenant_id=key.tenant_id,
        tenant_slug=tenant.slug,
        name=key.name,
        models=frozenset(key.models) if key.models is not None else None,
        rpm_limit=key.rpm_limit,
        tpm_limit=key.tpm_limit,
        tenant_rpm_limit=tenant.rpm_limit,
        tenant_tpm_limit=tenant.tpm_limit,
        expires_at=_epoch(key.expires_at),
        tenant_regions=frozenset(tenant.allowed_regions) if tenant.allowed_regions is not None else None,
    )


class KeyCache:
    def __init__(self, sessions: SessionFactory, hmac_secret: bytes, refresh_interval_s: float):
        self._sessions = sessions
        self._secret = hmac_secret
        self._interval = refresh_interval_s
        self._by_hash: dict[str, KeyInfo] = {}
        self._misses: OrderedDict[str, float] = OrderedDict()
        self._lookups = asyncio.Semaphore(_MAX_CONCURRENT_LOOKUPS)
        self._refreshing = asyncio.Lock()
        self._loads = 0  # full refreshes so far: a lookup that raced one does not cache its answer
        self._task: asyncio.Task[None] | None = None
        self.loaded_at: float | None = None

    @property
    def size(self) -> int:
        return len(self._by_hash)

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._refresh_forever(), name="key-cache-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def refresh(self) -> None:
        """Replace the copy with the database's active keys (raises if the database is unreachable)."""
        async with self._refreshing:
            async with self._sessions() as session:
                rows = await KeyRepository(session).active_with_tenants()
            self._by_hash = {key.key_hash: key_info(key, tenant) for key, tenant in rows}
            self._misses.clear()
            self._loads += 1
            self.loaded_at = time.monotonic()

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.refresh()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("key_cache_refresh_failed", error=type(exc).__name__)

    async def lookup(self, key: str) -> KeyInfo | None:
        """The active key ``key``, or None. Expiry is the caller's check."""
        if not is_well_formed(key):
            return None
        digest = hash_key(self._secret, key)
        info = self._by_hash.get(digest)
        if info is not None:
            return info
        return await self._lookup_new(digest)

    async def _lookup_new(self, digest: str) -> KeyInfo | None:
        now = time.monotonic()
        until = self._misses.get(digest)
        if until is not None and until > now:
            return None
        async with self._lookups:
            info = self._by_hash.get(digest)
            if info is not None:
                return info
            loads = self._loads
            try:
                async with self._sessions() as session:
                    row = await KeyRepository(session).active_by_hash(digest)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("key_lookup_failed", error=type(exc).__name__)
                return None
            if row is None:
                if loads != self._loads:
                    return None  # a refresh ran meanwhile; it cleared the misses, and may know better
                self._misses[digest] = now + _MISS_TTL_S
                if len(self._misses) > _MAX_MISSES:
                    self._misses.popitem(last=False)
                return None
            info = key_info(row[0], row[1])
            if loads == self._loads:
                # Else a refresh finished meanwhile and may have seen this key revoked: answer this
                # request with what was read, but do not put an older row into the newer copy.
                self._by_hash[digest] = info
            return info
