"""Sign-in sessions: login, refresh-token rotation, tenant selection and logout.

A session is a *family* of refresh tokens. Each refresh replaces the token presented with a new one
of the same family (the old one is marked used); presenting a used token again means two parties
hold it, one of them a thief, and the whole family is revoked. Only SHA-256 digests are stored.

Access tokens are short-lived JWTs (``trueport.platform.auth.tokens``) and cannot be revoked one by
one; "log out everywhere" and password changes move the user's ``tokens_valid_after`` instead,
which ``trueport.platform.principal`` checks on every request. JWT ``iat`` is in whole seconds, so
``tokens_valid_after`` is set to the next whole second, and tokens issued afterwards are stamped no
earlier than it: a token from before the cut is refused, one from after is accepted, even within
the same second.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import RefreshToken, Tenant, User, new_id, utcnow
from trueport.errors import ApiForbidden, ApiUnauthorized
from trueport.platform.auth.opaque import new_token, token_digest
from trueport.platform.auth.repository import RefreshTokens
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.members.repository import MemberRepo, tenants_of
from trueport.platform.tenants.repository import TenantAdminRepo
from trueport.platform.users.repository import UserRepository
from trueport.tenants.repository import TenantRepository
from trueport.tenants.service import TenantError, check_slug


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    tenant_id: str | None


@dataclass(frozen=True, slots=True)
class TokenReused:
    """A replaced refresh token came back: its family is revoked, which the request must still commit."""

    family_id: str


def _issue_time(user: User) -> float:
    """Now, or the user's cut-off if it is (less than a second) ahead: see the module docstring."""
    now = time.time()
    if user.tokens_valid_after is None:
        return now
    return max(now, user.tokens_valid_after.timestamp())


async def start_session(
    work: UnitOfWork, platform: Platform, user: User, tenant_id: str | None, *, family_id: str | None = None
) -> TokenPair:
    """An access token and a new refresh token, of a new family unless ``family_id`` continues one."""
    raw = new_token()
    ttl_s = platform.settings.platform.refresh_token_ttl_s
    RefreshTokens(work.session).add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or new_id(),
            tenant_id=tenant_id,
            token_hash=token_digest(raw),
            expires_at=utcnow() + timedelta(seconds=ttl_s),
        )
    )
    await work.session.flush()
    access = platform.tokens.issue(user.id, tenant_id, now=_issue_time(user))
    return TokenPair(access, platform.tokens.ttl_s, raw, ttl_s, tenant_id)


async def login(work: UnitOfWork, platform: Platform, email: str, password: str, *, ip: str) -> TokenPair:
    """A session for the right e-mail and password. An unknown address costs the same argon2 check as
    a wrong password and gets the same answer, so neither timing nor message tells which it was."""
    await platform.throttle.check(email, ip)
    user = await UserRepository(work.session).by_email(email)
    valid = await platform.passwords.verify(user.password_hash if user is not None else None, password)
    if user is None or not valid or user.disabled_at is not None:
        await platform.throttle.failed(email, ip)
        raise ApiUnauthorized("wrong e-mail address or password", code="invalid_credentials")
    await platform.throttle.succeeded(email, ip)
    if platform.passwords.needs_rehash(user.password_hash):  # the hashing parameters were raised
        user.password_hash = await platform.passwords.hash(password)
    return await start_session(work, platform, user, None)


async def refresh(work: UnitOfWork, platform: Platform, token: str) -> TokenPair | TokenReused:
    """Exchange a refresh token for a new pair (the token is used up). The new access token keeps the
    session's tenant while the user is still a member of it."""
    tokens = RefreshTokens(work.session)
    row = await tokens.by_digest(token_digest(token))
    now = utcnow()
    if row is None or row.revoked_at is not None:
        raise ApiUnauthorized("invalid refresh token; sign in again", code="invalid_refresh_token")
    if row.used_at is not None or not await tokens.use(row.id, now):
        await tokens.revoke_family(row.family_id, now)
        return TokenReused(row.family_id)
    if row.expires_at <= now:
        raise ApiUnauthorized("the refresh token has expired; sign in again", code="refresh_token_expired")
    user = await UserRepository(work.session).get(row.user_id)
    if user is None or user.disabled_at is not None:
        raise ApiUnauthorized("invalid refresh token; sign in again", code="invalid_refresh_token")
    tenant_id = row.tenant_id
    if tenant_id is not None and await MemberRepo(work.session, tenant_id).of_user(user.id) is None:
        tenant_id = None
    return await start_session(work, platform, user, tenant_id, family_id=row.family_id)


async def logout(work: UnitOfWork, user: User, token: str, *, everywhere: bool) -> None:
    """End the session ``token`` belongs to (if it is the user's); ``everywhere`` ends all of them and
    refuses every access token issued so far."""
    tokens = RefreshTokens(work.session)
    row = await tokens.by_digest(token_digest(token))
    if row is not None and row.user_id == user.id:
        await tokens.revoke_family(row.family_id, utcnow())
    if everywhere:
        await end_sessions(work.session, user)


async def end_sessions(session: AsyncSession, user: User) -> None:
    """Revoke every refresh token of ``user`` and refuse the access tokens issued until now."""
    now = utcnow()
    cut = datetime.fromtimestamp(math.floor(now.timestamp()) + 1, UTC)
    if user.tokens_valid_after is None or user.tokens_valid_after < cut:
        user.tokens_valid_after = cut
    await RefreshTokens(session).revoke_user(user.id, now)
    await session.flush()


async def my_tenants(work: UnitOfWork, user: User) -> list[tuple[Tenant, str]]:
    return await tenants_of(work.session, user.id)


async def _tenant_by_ref(work: UnitOfWork, tenant_ref: str) -> Tenant | None:
    tenant = await TenantAdminRepo(work.session).get(tenant_ref)
    if tenant is not None:
        return tenant
    slug = tenant_ref.strip().lower()
    try:
        check_slug(slug)
    except TenantError:
        return None  # not a slug either: nothing to look up
    return await TenantRepository(work.session).get_by_slug(slug)


async def select_tenant(work: UnitOfWork, platform: Platform, user: User, tenant_ref: str) -> TokenPair:
    """A new session bound to the tenant named by slug or id. Unknown, disabled and foreign tenants
    get the same 403, so the answer does not tell which tenants exist."""
    tenant = await _tenant_by_ref(work, tenant_ref)
    member = None
    if tenant is not None and tenant.disabled_at is None:
        member = await MemberRepo(work.session, tenant.id).of_user(user.id)
    if tenant is None or member is None:
        raise ApiForbidden("you are not a member of this tenant", code="not_a_member")
    return await start_session(work, platform, user, tenant.id)
