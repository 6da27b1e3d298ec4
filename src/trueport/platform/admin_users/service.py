"""Rules for platform admins acting on users.

Disabling a user ends their sessions at once (their access tokens are refused, their refresh tokens
revoked) and refuses their sign-ins; their memberships are kept, so enabling them restores access.
The installation always keeps one enabled platform admin: revoking or disabling the last is refused
(409 ``last_platform_admin``). Each change is a row change, so the unit of work audits it.
"""

from __future__ import annotations

from trueport.db.models import User, utcnow
from trueport.errors import ApiConflict, ApiNotFound
from trueport.platform.admin_users.repository import UserAdminRepo
from trueport.platform.auth.service import end_sessions
from trueport.platform.context import UnitOfWork
from trueport.platform.pagination import PageQuery


async def list_users(work: UnitOfWork, query: PageQuery, search: str | None) -> tuple[list[User], bool]:
    return await UserAdminRepo(work.session).page(query, search)


async def find(work: UnitOfWork, user_id: str) -> User:
    user = await UserAdminRepo(work.session).get(user_id)
    if user is None:
        raise ApiNotFound("no such user", code="user_not_found")
    return user


async def _keep_one_admin(work: UnitOfWork, user: User) -> None:
    """Refuse the change if ``user`` is the only enabled platform admin left."""
    admins = await UserAdminRepo(work.session).active_platform_admins()
    if [admin.id for admin in admins] == [user.id]:
        raise ApiConflict(
            "this is the last enabled platform admin: grant another user first", code="last_platform_admin"
        )


async def disable(work: UnitOfWork, user_id: str) -> User:
    user = await find(work, user_id)
    if user.disabled_at is not None:
        return user
    if user.is_platform_admin:
        await _keep_one_admin(work, user)
    user.disabled_at = utcnow()
    await end_sessions(work.session, user)
    return user


async def enable(work: UnitOfWork, user_id: str) -> User:
    user = await find(work, user_id)
    if user.disabled_at is not None:
        user.disabled_at = None
        await work.session.flush()
    return user


async def set_platform_admin(work: UnitOfWork, user_id: str, granted: bool) -> User:
    user = await find(work, user_id)
    if user.is_platform_admin == granted:
        return user
    if not granted and user.disabled_at is None:
        await _keep_one_admin(work, user)
    user.is_platform_admin = granted
    await work.session.flush()
    return user
