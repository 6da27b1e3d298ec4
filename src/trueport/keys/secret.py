"""The HMAC secret virtual keys are hashed with.

It comes from ``secret_key`` in the settings. In development, when none is configured, one is
generated on first use and kept in the database so that every process of the installation agrees.
"""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError

from trueport.db.engine import SessionFactory
from trueport.db.models import InstallationSetting
from trueport.settings import Settings

_NAME = "key_hmac_secret"


async def key_hmac_secret(settings: Settings, sessions: SessionFactory) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    async with sessions() as session:
        stored = await session.get(InstallationSetting, _NAME)
        if stored is not None:
            return stored.value.encode()
        session.add(InstallationSetting(name=_NAME, value=secrets.token_urlsafe(48)))
        try:
            await session.commit()
        except IntegrityError:  # another process created it first
            await session.rollback()
        stored = await session.get(InstallationSetting, _NAME, populate_existing=True)
        if stored is None:
            raise RuntimeError("could not create the installation secret")
        return stored.value.encode()
