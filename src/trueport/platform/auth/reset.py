"""Password reset by e-mail: a single-use link, valid ``platform.password_reset_ttl_s``.

Asking for a reset answers the same whether or not the address has an account, and the mail is
sent after the response (``deliver``), so neither the answer nor its timing tells them apart.
Completing a reset ends every session of the user: whoever knew the old password is signed out.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from trueport.db.models import PasswordReset, utcnow
from trueport.errors import ApiInvalid
from trueport.platform.auth.opaque import new_token, token_digest
from trueport.platform.auth.repository import PasswordResets
from trueport.platform.auth.service import end_sessions
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.mail.mailer import Mailer, MailError, OutgoingMail
from trueport.platform.mail.templates import password_reset_mail
from trueport.platform.users.repository import UserRepository
from trueport.platform.users.service import require_strong_password

log = structlog.get_logger(__name__)


async def request_reset(work: UnitOfWork, platform: Platform, email: str) -> OutgoingMail | None:
    """Store a reset for the user with ``email`` and return the mail to send; None if there is no such
    (enabled) user. The caller answers the same in both cases."""
    user = await UserRepository(work.session).by_email(email)
    if user is None or user.disabled_at is not None:
        return None
    raw = new_token()
    expires_at = utcnow() + timedelta(seconds=platform.settings.platform.password_reset_ttl_s)
    PasswordResets(work.session).add(
        PasswordReset(user_id=user.id, token_hash=token_digest(raw), expires_at=expires_at)
    )
    await work.session.flush()
    url = f"{platform.settings.platform.public_url.rstrip('/')}/reset-password?token={raw}"
    return password_reset_mail(to=user.email, reset_url=url, expires_at=expires_at)


async def deliver(mailer: Mailer, mail: OutgoingMail) -> None:
    """Send the reset mail (after the response); a failure is logged, without the link."""
    try:
        await mailer.send(mail)
    except MailError as exc:
        log.warning("password_reset_mail_failed", reason=str(exc))


async def confirm_reset(
    work: UnitOfWork, platform: Platform, token: str, new_password: str, *, ip: str
) -> None:
    """Set the new password if ``token`` is a valid, unused, unexpired reset; 400 otherwise. The
    account's failed logins are forgiven: the owner proved they hold the mailbox."""
    resets = PasswordResets(work.session)
    reset = await resets.by_digest(token_digest(token))
    now = utcnow()
    invalid = ApiInvalid("this reset link is invalid or has expired", code="invalid_reset_token")
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise invalid
    user = await UserRepository(work.session).get(reset.user_id)
    if user is None or user.disabled_at is not None:
        raise invalid
    require_strong_password(new_password, platform.settings.platform.password_min_length)
    if not await resets.use(reset.id, now):
        raise invalid
    await resets.use_all(user.id, now)
    user.password_hash = await platform.passwords.hash(new_password)
    await end_sessions(work.session, user)
    await platform.throttle.succeeded(user.email, ip)
