"""``Mailer`` against a real SMTP server (aiosmtpd): delivery, AUTH, STARTTLS and TLS, and failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from tests.platform.mail.conftest import SelfSigned

from support import free_port
from support.smtp import SmtpSink, body_html, body_text
from trueport.platform.config import MailConfig
from trueport.platform.mail.mailer import Mailer, MailError, OutgoingMail

MAIL = OutgoingMail(
    to="Ada@Example.org",
    subject="Reset your TruePort password",
    text="Open https://tp.test/reset#token=SECRET-TOKEN-123",
    html='<p><a href="https://tp.test/reset#token=SECRET-TOKEN-123">Reset</a></p>',
)
PASSWORD = "smtp-password-9f8e7d"


@contextmanager
def sink(**options: Any) -> Iterator[SmtpSink]:
    server = SmtpSink(**options).start()
    try:
        yield server
    finally:
        server.stop()


def config(server: SmtpSink, **overrides: Any) -> MailConfig:
    return MailConfig(**(server.mail_settings() | {"timeout_s": 5} | overrides))


class Credentials:
    """An aiosmtpd authenticator that accepts one user and remembers every attempt."""

    def __init__(self, username: str, password: str):
        self.expected = (username.encode(), password.encode())
        self.attempts: list[tuple[str, bytes, bytes]] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.attempts.append((mechanism, auth_data.login, auth_data.password))
        accepted = (auth_data.login, auth_data.password) == self.expected
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)


async def test_delivers_a_multipart_mail_with_headers(smtp: SmtpSink) -> None:
    mailer = Mailer(config(smtp))
    assert mailer.configured
    with structlog.testing.capture_logs() as logs:
        await mailer.send(MAIL)
    message = await smtp.wait_for("ada@example.org")
    assert smtp.recipients == [["Ada@Example.org"]]
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"] == "TruePort <tp@test>"
    assert message["To"] == "Ada@Example.org"
    assert message["Subject"] == MAIL.subject
    assert message["Date"] is not None and message["Date"].datetime.tzinfo is not None
    assert message["Message-ID"].endswith("@test>")
    assert body_text(message).strip() == MAIL.text
    assert body_html(message).strip() == MAIL.html
    assert logs == [
        {
            "event": "mail_sent",
            "log_level": "info",
            "subject": MAIL.subject,
            "recipient_domain": "example.org",
        }
    ]


async def test_every_mail_has_its_own_message_id(smtp: SmtpSink) -> None:
    mailer = Mailer(config(smtp))
    await mailer.send(MAIL)
    await mailer.send(MAIL)
    first, second = smtp.messages
    assert first["Message-ID"] != second["Message-ID"]


async def test_unset_host_is_an_error_and_a_warning_naming_the_domain_only() -> None:
    with (
        structlog.testing.capture_logs() as logs,
        pytest.raises(MailError, match=r"^mail is not configured$"),
    ):
        unset = Mailer(MailConfig())
        assert not unset.configured
        await unset.send(MAIL)
    assert logs == [
        {
            "event": "mail_not_configured",
            "log_level": "warning",
            "subject": MAIL.subject,
            "recipient_domain": "example.org",
        }
    ]


async def test_a_server_that_is_down_is_a_mail_error_without_secrets() -> None:
    down = MailConfig(
        host="127.0.0.1", port=free_port(), security="none", username="ada", password=PASSWORD, timeout_s=2
    )
    with structlog.testing.capture_logs() as logs, pytest.raises(MailError) as caught:
        await Mailer(down).send(MAIL)
    assert f"127.0.0.1:{down.port}" in str(caught.value)
    for text in (str(caught.value), repr(logs)):
        assert PASSWORD not in text
        assert "SECRET-TOKEN" not in text
        assert "Ada@" not in text
    assert [entry["event"] for entry in logs] == ["mail_failed"]


async def test_a_line_break_in_a_header_is_refused_before_connecting(smtp: SmtpSink) -> None:
    injected = OutgoingMail(to="ada@example.org", subject="Hi\nBcc: eve@evil.test", text="t", html="h")
    with pytest.raises(MailError, match="cannot be composed"):
        await Mailer(config(smtp)).send(injected)
    assert smtp.messages == []


async def test_auth_sends_the_username_and_password() -> None:
    credentials = Credentials("ada", PASSWORD)
    with sink(authenticator=credentials, auth_require_tls=False, auth_required=False) as server:
        await Mailer(config(server, username="ada", password=PASSWORD)).send(MAIL)
        await server.wait_for("ada@example.org")
    [(_, login, password)] = credentials.attempts
    assert (login, password) == (b"ada", PASSWORD.encode())


async def test_no_auth_without_a_username() -> None:
    credentials = Credentials("ada", PASSWORD)
    with sink(authenticator=credentials, auth_require_tls=False) as server:
        await Mailer(config(server, password=PASSWORD)).send(MAIL)
        await server.wait_for("ada@example.org")
    assert credentials.attempts == []


async def test_a_wrong_password_is_a_mail_error_naming_no_secret() -> None:
    credentials = Credentials("ada", PASSWORD)
    with sink(authenticator=credentials, auth_require_tls=False) as server:
        with pytest.raises(MailError) as caught:
            await Mailer(config(server, username="ada", password="wrong-password-1")).send(MAIL)
        assert server.messages == []
    assert credentials.attempts, "the server was never asked"
    assert "SMTPAuthenticationError 535" in str(caught.value)
    assert "wrong-password-1" not in str(caught.value)


async def test_starttls_upgrades_before_sending(self_signed: SelfSigned) -> None:
    # require_starttls: the server refuses MAIL FROM on a plain connection, so delivery proves TLS.
    with sink(tls_context=self_signed.server_context(), require_starttls=True) as server:
        mailer = Mailer(config(server, security="starttls"), tls_context=self_signed.client_context())
        await mailer.send(MAIL)
        message = await server.wait_for("ada@example.org")
    assert message["Subject"] == MAIL.subject


async def test_none_does_not_start_tls_even_if_offered(self_signed: SelfSigned) -> None:
    with sink(tls_context=self_signed.server_context(), require_starttls=True) as server:
        with pytest.raises(MailError, match="SMTPSenderRefused 530"):
            await Mailer(config(server, security="none")).send(MAIL)
        assert server.messages == []


async def test_implicit_tls(self_signed: SelfSigned) -> None:
    with sink(ssl_context=self_signed.server_context()) as server:
        mailer = Mailer(config(server, security="tls"), tls_context=self_signed.client_context())
        await mailer.send(MAIL)
        await server.wait_for("ada@example.org")


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_an_untrusted_certificate_is_refused(self_signed: SelfSigned, security: str) -> None:
    options: dict[str, Any] = (
        {"tls_context": self_signed.server_context(), "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": self_signed.server_context()}
    )
    with sink(**options) as server:
        with pytest.raises(MailError):
            await Mailer(config(server, security=security)).send(MAIL)  # the system's trust store
        assert server.messages == []
