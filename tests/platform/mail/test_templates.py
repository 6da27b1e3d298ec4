"""Each mail template, delivered through a real SMTP server and read back as a mail client would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from support.smtp import SmtpSink, body_html, body_text
from trueport.platform.config import MailConfig
from trueport.platform.mail.mailer import Mailer, OutgoingMail
from trueport.platform.mail.templates import alert_mail, invitation_mail, password_reset_mail

EXPIRES = datetime(2026, 12, 11, 22, 25, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & Co'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co"


async def deliver(smtp: SmtpSink, mail: OutgoingMail) -> tuple[str, str, str]:
    """Send ``mail`` and return the received (subject, text part, HTML part), with ``\\n`` line ends."""
    await Mailer(MailConfig(**smtp.mail_settings())).send(mail)
    message = await smtp.wait_for(mail.to)
    crlf = "\r\n"
    return (
        str(message["Subject"]),
        body_text(message).replace(crlf, "\n"),
        body_html(message).replace(crlf, "\n"),
    )


async def test_invitation(smtp: SmtpSink) -> None:
    url = "https://tp.test/accept-invitation#token=inv_abc123"
    mail = invitation_mail(
        to="new@example.org",
        tenant_name="Acme Research",
        role="admin",
        inviter="Ada Lovelace",
        accept_url=url,
        expires_at=EXPIRES,
    )
    subject, text, html = await deliver(smtp, mail)
    assert subject == "You are invited to join Acme Research on TruePort"
    assert smtp.recipients == [["new@example.org"]]
    for part in (text, html):
        assert url in part
        assert "Ada Lovelace has invited you" in part
        assert "Acme Research" in part
        assert "admin" in part
        assert "2026-12-11 22:25 UTC" in part
    assert f'<a href="{url}"' in html
    assert "<html" not in text


async def test_invitation_escapes_the_tenant_name_and_inviter_in_html(smtp: SmtpSink) -> None:
    mail = invitation_mail(
        to="new@example.org",
        tenant_name=HOSTILE,
        role="member",
        inviter="<b>Mallory</b>",
        accept_url="https://tp.test/accept?a=1&b=2",
        expires_at=EXPIRES,
    )
    subject, text, html = await deliver(smtp, mail)
    assert "<script>" not in html
    assert "<b>" not in html
    assert ESCAPED in html
    assert "&lt;b&gt;Mallory&lt;/b&gt; has invited you" in html
    assert 'href="https://tp.test/accept?a=1&amp;b=2"' in html
    # Plain text is shown as text: it keeps the name as typed.
    assert HOSTILE in text
    assert "https://tp.test/accept?a=1&b=2" in text
    assert subject == f"You are invited to join {HOSTILE} on TruePort"


async def test_invitation_without_an_inviter(smtp: SmtpSink) -> None:
    mail = invitation_mail(
        to="new@example.org",
        tenant_name="Acme",
        role="auditor",
        inviter=None,
        accept_url="https://tp.test/i",
        expires_at=EXPIRES,
    )
    _, text, html = await deliver(smtp, mail)
    assert "You have been invited to join Acme" in text
    assert "You have been invited to join <strong>Acme</strong>" in html
    assert "None" not in text + html


async def test_password_reset(smtp: SmtpSink) -> None:
    url = "https://tp.test/reset-password#token=pr_xyz789"
    mail = password_reset_mail(to="ada@example.org", reset_url=url, expires_at=EXPIRES)
    subject, text, html = await deliver(smtp, mail)
    assert subject == "Reset your TruePort password"
    assert smtp.recipients == [["ada@example.org"]]
    assert url in text
    assert f'<a href="{url}"' in html
    assert "2026-12-11 22:25 UTC" in text
    assert "2026-12-11 22:25 UTC" in html


async def test_alert(smtp: SmtpSink) -> None:
    mail = alert_mail(
        to="ops@example.org",
        tenant_name=HOSTILE,
        title="Monthly budget\nreached",
        lines=["Spend: $1,204.50 of $1,200.00", "Keys <over> budget: 3"],
        dashboard_url="https://tp.test/usage?tenant=acme&period=month",
    )
    subject, text, html = await deliver(smtp, mail)
    assert subject == f"[TruePort] {HOSTILE}: Monthly budget reached"
    assert "- Spend: $1,204.50 of $1,200.00\n- Keys <over> budget: 3\n" in text
    assert "Open the dashboard: https://tp.test/usage?tenant=acme&period=month" in text
    assert "<li>Spend: $1,204.50 of $1,200.00</li>" in html
    assert "<li>Keys &lt;over&gt; budget: 3</li>" in html
    assert 'href="https://tp.test/usage?tenant=acme&amp;period=month"' in html
    assert ESCAPED in html
    assert "<script>" not in html


async def test_alert_without_a_dashboard_link(smtp: SmtpSink) -> None:
    mail = alert_mail(to="ops@example.org", tenant_name="Acme", title="Credential failing", lines=["x"])
    _, text, html = await deliver(smtp, mail)
    assert "dashboard" not in text
    assert "<a " not in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.test/x"])
def test_links_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        password_reset_mail(to="a@example.org", reset_url=url, expires_at=EXPIRES)


def test_times_are_shown_in_utc() -> None:
    in_paris = EXPIRES.astimezone(timezone(timedelta(hours=1)))
    naive = EXPIRES.replace(tzinfo=None)
    for when in (in_paris, naive):
        mail = password_reset_mail(to="a@example.org", reset_url="https://tp.test/r", expires_at=when)
        assert "2026-12-11 22:25 UTC" in mail.text


def test_subjects_are_one_bounded_line() -> None:
    mail = alert_mail(to="a@example.org", tenant_name="Acme\r\nBcc: eve@evil.test", title="x" * 500, lines=[])
    assert "\n" not in mail.subject
    assert "\r" not in mail.subject
    assert len(mail.subject) <= 200
