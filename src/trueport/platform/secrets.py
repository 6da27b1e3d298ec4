"""The control plane's own secrets: the JWT signing secret and the envelope master keys.

Configured values win. In development, a missing one is generated once and kept in the database
(``installation_settings``) so that every process of the installation agrees; production refuses to
start without them (see ``Settings``). Keeping a master key beside the data it protects is only
acceptable for a development machine, and a warning says so.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import IntegrityError

from trueport.db.engine import SessionFactory
from trueport.db.models import InstallationSetting
from trueport.platform.config import decode_master_key
from trueport.settings import Settings

log = structlog.get_logger(__name__)

_JWT_SECRET = "jwt_secret"  # noqa: S105 - the name of the stored value
_MASTER_KEY = "master_key_dev"
DEV_MASTER_KEY_ID = "dev"


@dataclass(frozen=True, slots=True)
class PlatformSecrets:
    jwt_secret: bytes
    master_keys: dict[str, bytes]
    active_master_key: str

    def __repr__(self) -> str:  # never print a secret, even by accident
        return f"PlatformSecrets(master_keys={sorted(self.master_keys)}, active={self.active_master_key!r})"


async def stored_secret(sessions: SessionFactory, name: str, make: str) -> str:
    """The installation value ``name``, created as ``make`` if absent (first writer wins)."""
    async with sessions() as session:
        stored = await session.get(InstallationSetting, name)
        if stored is not None:
            return stored.value
        session.add(InstallationSetting(name=name, value=make))
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
        stored = await session.get(InstallationSetting, name, populate_existing=True)
        if stored is None:
            raise RuntimeError(f"could not create the installation value {name!r}")
        return stored.value


async def load_platform_secrets(settings: Settings, sessions: SessionFactory) -> PlatformSecrets:
    config = settings.platform
    if config.jwt_secret is not None:
        jwt_secret = config.jwt_secret.get_secret_value().encode()
    else:
        jwt_secret = (await stored_secret(sessions, _JWT_SECRET, secrets.token_urlsafe(48))).encode()
    if config.master_keys and config.active_master_key is not None:
        keys = {
            name: decode_master_key(value.get_secret_value()) for name, value in config.master_keys.items()
        }
        return PlatformSecrets(jwt_secret, keys, config.active_master_key)
    log.warning("master_key_generated_for_development", hint="set platform.master_keys in production")
    made = base64.b64encode(secrets.token_bytes(32)).decode()
    key = decode_master_key(await stored_secret(sessions, _MASTER_KEY, made))
    return PlatformSecrets(jwt_secret, {DEV_MASTER_KEY_ID: key}, DEV_MASTER_KEY_ID)
