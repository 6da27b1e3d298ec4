"""Sending mail over SMTP: one connection per mail, handed to the server configured in ``mail:``.

Mails carry one-time links (invitations, password resets), so neither a log line nor a ``MailError``
ever contains the body, the full recipient address or the SMTP password: logs name the subject and
the recipient's domain only. Callers decide what a failure means (an invitation is still created and
its link can be resent; a password reset answers the same either way).
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib
import structlog

from trueport.platform.config import MailConfig

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """One message to one recipient, in plain text and HTML (``trueport.platform.mail.templates``)."""

    to: str
    subject: str
    text: str
    html: str


class MailError(Exception):
    """The mail could not be handed to the SMTP server (the message names no secret and no body)."""


def recipient_domain(address: str) -> str:
    """What may be logged of an address: its domain (``example.com``), never the mailbox."""
    return address.rpartition("@")[2].strip().lower() or "?"


class Mailer:
    """Sends ``OutgoingMail`` with ``aiosmtplib`` as ``config`` says.

    ``tls_context`` replaces the system's trust store for ``starttls``/``tls`` (a private CA, or a
    test's self-signed certificate); certificates are always verified. ``keep``: where mail goes
    instead when no SMTP server is configured (the development outbox, ``trueport.platform.mail.outbox``).
    """

    def __init__(
        self,
        config: MailConfig,
        *,
        tls_context: ssl.SSLContext | None = None,
        keep: Callable[[OutgoingMail], Awaitable[None]] | None = None,
    ):
        self.config = config
        self.tls_context = tls_context
        self.keep = keep

    @property
    def configured(self) -> bool:
        """Mail goes somewhere: to an SMTP server, or to the development outbox."""
        return self.config.host is not None or self.keep is not None

    def compose(self, mail: OutgoingMail) -> EmailMessage:
        """The MIME message: multipart/alternative, plain text first (the fallback), then HTML."""
        sender_address = parseaddr(self.config.sender)[1]
        message = EmailMessage()
        try:
            message["From"] = self.config.sender
            message["To"] = mail.to
            message["Subject"] = mail.subject
        except ValueError as exc:  # a line break in a header: refuse rather than inject headers
            raise MailError(f"the mail cannot be composed: {exc}") from exc
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=sender_address.rpartition("@")[2] or None)
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    async def send(self, mail: OutgoingMail) -> None:
        """Hand ``mail`` to the SMTP server (or the outbox when there is none); raises ``MailError`` if
        it is unset, down or refuses."""
        config = self.config
        domain = recipient_domain(mail.to)
        if config.host is None and self.keep is not None:
            await self.keep(mail)
            log.info("mail_kept_in_outbox", subject=mail.subject, recipient_domain=domain)
            return
        if config.host is None:
            log.warning("mail_not_configured", subject=mail.subject, recipient_domain=domain)
            raise MailError("mail is not configured")
        message = self.compose(mail)
        password = config.password.get_secret_value() if config.password is not None else None
        try:
            await aiosmtplib.send(
                message,
                sender=parseaddr(config.sender)[1],
                recipients=[mail.to],
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=password if config.username is not None else None,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                tls_context=self.tls_context,
                timeout=config.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            reason = _reason(exc)
            log.warning("mail_failed", subject=mail.subject, recipient_domain=domain, reason=reason)
            raise MailError(
                f"the SMTP server {config.host}:{config.port} did not take the mail: {reason}"
            ) from exc
        log.info("mail_sent", subject=mail.subject, recipient_domain=domain)


def _reason(exc: Exception) -> str:
    """The error's kind and SMTP code; not the server's text (it may echo addresses back)."""
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__} {code}" if isinstance(code, int) else type(exc).__name__
