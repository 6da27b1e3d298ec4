"""Access tokens: short-lived HS256 JWTs (PyJWT), checked for signature, ``exp``, ``iat``, ``iss``, ``aud``.

Claims: ``sub`` (user id), ``tid`` (the tenant the token is bound to, or absent before a tenant is
chosen), ``iat``, ``exp``, ``iss``, ``aud``, ``jti``. Only HS256 is accepted on decode, so ``alg: none``
and any other algorithm are refused.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from trueport.errors import ApiUnauthorized

ALGORITHM = "HS256"
_LEEWAY_S = 5


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    tenant_id: str | None
    issued_at: int
    expires_at: int
    token_id: str


class TokenCodec:
    def __init__(self, secret: bytes, *, issuer: str, audience: str, ttl_s: int):
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self.ttl_s = ttl_s

    def issue(self, user_id: str, tenant_id: str | None = None, *, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims: dict[str, object] = {
            "sub": user_id,
            "iat": issued,
            "exp": issued + self.ttl_s,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": secrets.token_urlsafe(12),
        }
        if tenant_id is not None:
            claims["tid"] = tenant_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> AccessClaims:
        """The claims of a valid token; ``ApiUnauthorized`` for anything else (never says which check failed
        beyond expiry, so a forger learns nothing)."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=_LEEWAY_S,
                options={"require": ["sub", "iat", "exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ApiUnauthorized("the access token has expired", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise ApiUnauthorized("invalid access token", code="invalid_token") from exc
        subject, tenant, issued = claims.get("sub"), claims.get("tid"), claims.get("iat")
        if not isinstance(subject, str) or (tenant is not None and not isinstance(tenant, str)):
            raise ApiUnauthorized("invalid access token", code="invalid_token")
        if not isinstance(issued, int) or issued > time.time() + _LEEWAY_S:
            raise ApiUnauthorized("invalid access token", code="invalid_token")
        return AccessClaims(
            user_id=subject,
            tenant_id=tenant,
            issued_at=issued,
            expires_at=int(claims["exp"]),
            token_id=str(claims.get("jti", "")),
        )
