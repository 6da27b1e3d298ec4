"""Who is calling the control plane: a signed-in user (JWT access token) or the operator token.

``Authorization: Bearer <token>``. The installation's ``admin_token``, when configured, makes the
caller a platform admin with no user (for automation); anything else must be a valid access token
of an enabled user, issued after the user's last "log out everywhere" or password change.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from trueport.db.models import User
from trueport.errors import ApiForbidden, ApiUnauthorized
from trueport.platform.auth.tokens import AccessClaims
from trueport.platform.context import PlatformDep, Work

_bearer = HTTPBearer(auto_error=False, description="An access token from `POST /api/v1/auth/login`.")


@dataclass(frozen=True, slots=True)
class Principal:
    user: User | None  # None: the operator's admin token
    claims: AccessClaims | None

    @property
    def platform_admin(self) -> bool:
        return self.user is None or self.user.is_platform_admin

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user is not None else None


async def authenticate(
    request: Request,
    platform: PlatformDep,
    work: Work,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiUnauthorized("send `Authorization: Bearer <access token>`")
    token = credentials.credentials
    admin_token = platform.settings.admin_token
    if admin_token is not None and hmac.compare_digest(
        token.encode(), admin_token.get_secret_value().encode()
    ):
        return Principal(user=None, claims=None)
    claims = platform.tokens.decode(token)
    user = await work.session.get(User, claims.user_id)
    if user is None or user.disabled_at is not None:
        raise ApiUnauthorized("invalid access token", code="invalid_token")
    if user.tokens_valid_after is not None and claims.issued_at < int(user.tokens_valid_after.timestamp()):
        raise ApiUnauthorized("the access token was revoked", code="token_revoked")
    return Principal(user=user, claims=claims)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


async def current_user(principal: CurrentPrincipal) -> User:
    if principal.user is None:
        raise ApiForbidden("this endpoint needs a user's access token, not the admin token")
    return principal.user


CurrentUser = Annotated[User, Depends(current_user)]


async def platform_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.platform_admin:
        raise ApiForbidden("platform admins only", code="platform_admin_required")
    return principal


PlatformAdmin = Annotated[Principal, Depends(platform_admin)]
