"""The audit trail as the app holds it: the appender, the checkpoint issuer and the keys, together.

The lifespan opens it after the database and closes it before the engine::

    audit = await AuditTrail.open(settings, sessions)
    await audit.start()
    ...
    await audit.stop()   # writes what is queued, stops the checkpoint schedule
"""

from __future__ import annotations

import structlog
from sqlalchemy.exc import IntegrityError

from trueport.audit.checkpoints import Checkpoint
from trueport.audit.config import AuditConfig
from trueport.audit.events import ControlPlaneEvent, DataPlaneEvent
from trueport.audit.issuer import CheckpointIssuer
from trueport.audit.log import AuditLog
from trueport.audit.signing import KeyRing, PublicKeyInfo, generate_private_key_pem, has_configured_key
from trueport.audit.spool import Spool
from trueport.audit.tree import StoredTree
from trueport.db.engine import SessionFactory
from trueport.db.models import InstallationSetting
from trueport.errors import ConfigError
from trueport.settings import Settings

log = structlog.get_logger(__name__)

_DEV_KEY_SETTING = "audit_signing_key"


async def load_keyring(config: AuditConfig, sessions: SessionFactory, *, production: bool) -> KeyRing:
    """The configured ring; in development without a configured key, one kept in the database."""
    if has_configured_key(config):
        return KeyRing.from_config(config)
    if production:
        raise ConfigError(
            "audit: a signing key is required in production (signing_key_file or signing_key_pem)"
        )
    return KeyRing.from_config(config, fallback_pem=await _development_key(sessions))


async def _development_key(sessions: SessionFactory) -> bytes:
    async with sessions() as session:
        stored = await session.get(InstallationSetting, _DEV_KEY_SETTING)
        if stored is not None:
            return stored.value.encode()
        session.add(InstallationSetting(name=_DEV_KEY_SETTING, value=generate_private_key_pem().decode()))
        try:
            await session.commit()
            log.warning("audit_development_signing_key_generated")
        except IntegrityError:  # another process created it first
            await session.rollback()
        stored = await session.get(InstallationSetting, _DEV_KEY_SETTING, populate_existing=True)
        if stored is None:
            raise RuntimeError("could not create the development audit signing key")
        return stored.value.encode()


def audit_config(settings: Settings) -> AuditConfig:
    """``settings.audit``, or the defaults while the settings have no such field."""
    config = getattr(settings, "audit", None)
    return config if isinstance(config, AuditConfig) else AuditConfig()


class AuditTrail:
    def __init__(self, sessions: SessionFactory, config: AuditConfig, keyring: KeyRing):
        self._sessions = sessions
        self.config = config
        self.keyring = keyring
        self.log = AuditLog(
            sessions,
            Spool(config.spool_dir, write_ahead=config.write_ahead),
            batch_size=config.batch_size,
            flush_interval_s=config.flush_interval_ms / 1000,
            db_timeout_s=config.db_timeout_s,
            retry_interval_s=config.retry_interval_s,
            write_ahead=config.write_ahead,
        )
        self.checkpoints = CheckpointIssuer(
            sessions, keyring, origin=config.origin, interval_s=config.checkpoint_interval_s
        )

    @classmethod
    async def open(cls, settings: Settings, sessions: SessionFactory) -> AuditTrail:
        """Load the signing keys (may create the development key in the database)."""
        config = audit_config(settings)
        keyring = await load_keyring(config, sessions, production=settings.environment == "production")
        return cls(sessions, config, keyring)

    def append(self, event: DataPlaneEvent | ControlPlaneEvent) -> None:
        """Queue an event (never blocks)."""
        self.log.append(event)

    async def record(self, event: DataPlaneEvent | ControlPlaneEvent) -> None:
        """Queue an event and wait until it is durable (database or fsync'd spool)."""
        await self.log.record(event)

    async def checkpoint(self) -> Checkpoint:
        """Sign the current tree head now (on demand)."""
        checkpoint = await self.checkpoints.issue()
        assert checkpoint is not None  # only None when asked to skip an unchanged head
        return checkpoint

    def public_keys(self) -> list[PublicKeyInfo]:
        """The current and retired checkpoint keys (for the public-keys endpoint)."""
        return self.keyring.public_keys()

    async def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        async with self._sessions() as session:
            return await StoredTree(session).inclusion_proof(index, tree_size)

    async def consistency_proof(self, first: int, second: int) -> list[bytes]:
        async with self._sessions() as session:
            return await StoredTree(session).consistency_proof(first, second)

    async def roots(self, *sizes: int) -> list[bytes]:
        """Tree heads of earlier sizes (for consistency proofs)."""
        async with self._sessions() as session:
            tree = StoredTree(session)
            return [await tree.root(size) for size in sizes]

    async def start(self) -> None:
        await self.log.start()
        await self.checkpoints.start()

    async def stop(self) -> None:
        await self.checkpoints.stop()
        await self.log.stop()
