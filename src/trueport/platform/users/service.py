"""Rules for users: how addresses compare, which passwords are accepted, creating and editing users."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import User
from trueport.errors import ApiConflict, ApiInvalid
from trueport.platform.auth.passwords import Passwords, password_problem
from trueport.platform.auth.service import end_sessions
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.users.repository import UserRepository, normalize_email


def require_strong_password(password: str, min_length: int) -> None:
    problem = password_problem(password, min_length)
    if problem is not None:
        raise ApiInvalid(problem, code="weak_password")


async def create_user(
    session: AsyncSession,
    passwords: Passwords,
    *,
    email: str,
    name: str,
    password: str,
    min_password_length: int,
    platform_admin: bool = False,
) -> User:
    """A new user with ``password`` (checked against the policy, then hashed); 409 if the address is taken."""
    email = normalize_email(email)
    require_strong_password(password, min_password_length)
    repository = UserRepository(session)
    if await repository.by_email(email) is not None:
        raise ApiConflict("a user with this e-mail address exists", code="email_taken")
    user = repository.add(
        User(
            email=email,
            name=name.strip(),
            password_hash=await passwords.hash(password),
            is_platform_admin=platform_admin,
        )
    )
    try:
        await session.flush()
    except IntegrityError as exc:  # created at the same moment by another request
        raise ApiConflict("a user with this e-mail address exists", code="email_taken") from exc
    return user


async def rename(work: UnitOfWork, user: User, name: str) -> User:
    user.name = name.strip()
    await work.session.flush()
    return user


async def change_password(
    work: UnitOfWork, platform: Platform, user: User, current: str, new: str, *, ip: str
) -> None:
    """Replace the password and end every session (the caller signs in again).

    Wrong guesses of the current password count as failed logins: a stolen access token must not
    become a way to find the password itself.
    """
    await platform.throttle.check(user.email, ip)
    if not await platform.passwords.verify(user.password_hash, current):
        await platform.throttle.failed(user.email, ip)
        raise ApiInvalid("the current password is wrong", code="invalid_credentials")
    await platform.throttle.succeeded(user.email, ip)
    require_strong_password(new, platform.settings.platform.password_min_length)
    user.password_hash = await platform.passwords.hash(new)
    await end_sessions(work.session, user)
