"""Password reset by e-mail, end to end through a real SMTP server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from tests.platform.auth.signin import bearer, link_token, login, signed_in
from tests.platform.harness import PASSWORD, ControlPlaneHarness

from support import free_port
from support.smtp import SmtpSink, body_html, body_text
from trueport.db.models import PasswordReset
from trueport.platform.config import MailConfig
from trueport.platform.mail.mailer import Mailer

NEW_PASSWORD = "a brand new passphrase 2026"
RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"


async def _reset_token(platform: ControlPlaneHarness, smtp: SmtpSink, email: str) -> str:
    asked = await platform.client.post(RESET, json={"email": email})
    assert asked.status_code == 202 and asked.content == b""
    mail = await smtp.wait_for(email)
    assert mail["Subject"] == "Reset your TruePort password"
    token = link_token(body_text(mail), "reset-password")
    assert f"{platform.settings.platform.public_url}/reset-password?token={token}" in body_text(mail)
    assert token in body_html(mail)
    return token


async def test_reset_by_mail_then_sign_in_with_the_new_password(
    platform: ControlPlaneHarness, smtp: SmtpSink
) -> None:
    await platform.user("alice@acme.test")
    old_session = await signed_in(platform, "alice@acme.test", PASSWORD)
    token = await _reset_token(platform, smtp, "Alice@acme.test")
    async with platform.sessions() as session:
        stored = (await session.execute(select(PasswordReset))).scalars().all()
    assert len(stored) == 1 and token not in stored[0].token_hash  # only the digest is kept

    done = await platform.client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert done.status_code == 204, done.text
    assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 401
    assert (await login(platform, "alice@acme.test", NEW_PASSWORD)).status_code == 200
    # Whoever was signed in with the old password is signed out.
    me = await platform.client.get("/api/v1/users/me", headers=bearer(old_session["access_token"]))
    assert me.status_code == 401
    refresh = await platform.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": old_session["refresh_token"]}
    )
    assert refresh.status_code == 401
    # The link works once.
    again = await platform.client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD + "!"})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_reset_token"


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    platform: ControlPlaneHarness, smtp: SmtpSink
) -> None:
    await platform.user("alice@acme.test")
    unknown = await platform.client.post(RESET, json={"email": "nobody@acme.test"})
    known = await platform.client.post(RESET, json={"email": "alice@acme.test"})
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content == b""
    await smtp.wait_for("alice@acme.test")
    await asyncio.sleep(0.2)
    assert smtp.recipients == [["alice@acme.test"]]


async def test_a_newer_reset_voids_the_older_links_once_used(
    platform: ControlPlaneHarness, smtp: SmtpSink
) -> None:
    await platform.user("alice@acme.test")
    for _ in range(2):
        await platform.client.post(RESET, json={"email": "alice@acme.test"})
    for _ in range(200):
        if len(smtp.messages) == 2:
            break
        await asyncio.sleep(0.05)
    first, second = (link_token(body_text(mail), "reset-password") for mail in smtp.messages)
    assert first != second
    assert (
        await platform.client.post(CONFIRM, json={"token": second, "new_password": NEW_PASSWORD})
    ).status_code == 204
    stale = await platform.client.post(CONFIRM, json={"token": first, "new_password": NEW_PASSWORD + "!"})
    assert stale.status_code == 400


async def test_expired_unknown_and_weak(platform: ControlPlaneHarness, smtp: SmtpSink) -> None:
    await platform.user("alice@acme.test")
    token = await _reset_token(platform, smtp, "alice@acme.test")
    for weak in ("short", "a" * 20):
        refused = await platform.client.post(CONFIRM, json={"token": token, "new_password": weak})
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "weak_password"
    unknown = await platform.client.post(CONFIRM, json={"token": "B" * 43, "new_password": NEW_PASSWORD})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "invalid_reset_token"
    async with platform.sessions() as session:
        await session.execute(
            update(PasswordReset).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    expired = await platform.client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == "invalid_reset_token"
    assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 200


async def test_a_reset_forgives_the_accounts_failed_logins(
    platform: ControlPlaneHarness, smtp: SmtpSink
) -> None:
    await platform.user("alice@acme.test")
    for _ in range(platform.settings.platform.login_failures_per_account_ip):
        await login(platform, "alice@acme.test", "wrong password here")
    assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 429
    token = await _reset_token(platform, smtp, "alice@acme.test")
    assert (
        await platform.client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    ).status_code == 204
    assert (await login(platform, "alice@acme.test", NEW_PASSWORD)).status_code == 200


async def test_a_mail_failure_changes_nothing_in_the_answer(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    platform.platform.mailer = Mailer(
        MailConfig(host="127.0.0.1", port=free_port(), security="none", timeout_s=2)
    )
    asked = await platform.client.post(RESET, json={"email": "alice@acme.test"})
    assert asked.status_code == 202
