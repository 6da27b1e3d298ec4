"""Who is calling: the virtual key from ``Authorization: Bearer``, ``x-api-key`` or ``api-key``."""

from __future__ import annotations

import time

from trueport.errors import AuthenticationFailed
from trueport.gateway.asgi import Scope
from trueport.keys.cache import KeyCache, KeyInfo

_BEARER = b"bearer "


def presented_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            if value[:7].lower() == _BEARER:
                return value[7:].strip().decode("latin-1")  # type: ignore[no-any-return]
            return None
        if name in (b"x-api-key", b"api-key"):
            return value.strip().decode("latin-1")  # type: ignore[no-any-return]
    return None


async def authenticate(scope: Scope, keys: KeyCache) -> KeyInfo:
    key = presented_key(scope)
    if not key:
        raise AuthenticationFailed("missing API key: send 'Authorization: Bearer <key>' or 'x-api-key'")
    info = await keys.lookup(key)
    if info is None:
        raise AuthenticationFailed("invalid API key")
    if info.expired(time.time()):
        raise AuthenticationFailed("API key has expired")
    return info
