"""``/invitations`` and ``/auth/invitations/accept``: inviting by e-mail (a real SMTP server), joining
as a new or an existing user, revoking, and the rules on who may invite whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from tests.platform.auth.signin import link_token, login
from tests.platform.harness import PASSWORD, ControlPlaneHarness

from support import free_port
from support.smtp import SmtpSink, body_html, body_text
from trueport.db.models import Invitation, Tenant, User
from trueport.platform.config import MailConfig
from trueport.platform.mail.mailer import Mailer

INVITATIONS = "/api/v1/invitations"
ACCEPT = "/api/v1/auth/invitations/accept"
NEW_PASSWORD = "bob's own long passphrase"


@pytest.fixture
async def acme(platform: ControlPlaneHarness) -> tuple[Tenant, User]:
    tenant = await platform.tenant("acme")
    owner = await platform.user("owner@acme.test")
    await platform.member(tenant, owner, "owner")
    return tenant, owner


async def _invite(
    platform: ControlPlaneHarness, acme: tuple[Tenant, User], email: str, role: str = "member"
) -> dict[str, object]:
    tenant, owner = acme
    response = await platform.client.post(
        INVITATIONS, headers=platform.auth(owner, tenant), json={"email": email, "role": role}
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def _accept_token(smtp: SmtpSink, email: str) -> str:
    return link_token(body_text(await smtp.wait_for(email)), "accept-invitation")


async def test_invite_a_new_person_who_creates_an_account(
    platform: ControlPlaneHarness, smtp: SmtpSink, acme: tuple[Tenant, User]
) -> None:
    tenant, owner = acme
    created = await _invite(platform, acme, "Bob@Acme.test")
    assert created["email"] == "bob@acme.test" and created["role"] == "member"
    assert created["status"] == "pending" and created["email_sent"] is True
    assert created["invited_by"] == owner.id
    mail = await smtp.wait_for("bob@acme.test")
    token = link_token(body_text(mail), "accept-invitation")
    assert "acme" in mail["Subject"] and "owner" in body_text(mail)  # tenant name, inviter
    assert token in body_html(mail)
    assert token not in str(created)
    listed = await platform.client.get(INVITATIONS, headers=platform.auth(owner, tenant))
    assert [row["email"] for row in listed.json()["data"]] == ["bob@acme.test"]
    assert token not in listed.text

    missing = await platform.client.post(ACCEPT, json={"token": token})
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "account_details_required"
    weak = await platform.client.post(ACCEPT, json={"token": token, "name": "Bob", "password": "short"})
    assert weak.status_code == 400
    assert weak.json()["error"]["code"] == "weak_password"

    accepted = await platform.client.post(
        ACCEPT, json={"token": token, "name": "Bob", "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["tenant_id"] == tenant.id and body["tenant_slug"] == "acme" and body["role"] == "member"
    assert (await login(platform, "bob@acme.test", NEW_PASSWORD)).status_code == 200
    again = await platform.client.post(ACCEPT, json={"token": token, "name": "Bob", "password": NEW_PASSWORD})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_invitation"
    statuses = await platform.client.get(INVITATIONS, headers=platform.auth(owner, tenant))
    assert [row["status"] for row in statuses.json()["data"]] == ["accepted"]


async def test_an_existing_user_joins_without_touching_their_password(
    platform: ControlPlaneHarness, smtp: SmtpSink, acme: tuple[Tenant, User]
) -> None:
    other = await platform.tenant("other")
    bob = await platform.user("bob@acme.test")
    await platform.member(other, bob, "owner")
    await _invite(platform, acme, "bob@acme.test", "auditor")
    token = await _accept_token(smtp, "bob@acme.test")
    accepted = await platform.client.post(
        ACCEPT, json={"token": token, "name": "Mallory", "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 200
    assert accepted.json()["user_id"] == bob.id and accepted.json()["role"] == "auditor"
    assert (await login(platform, "bob@acme.test", PASSWORD)).status_code == 200
    assert (await login(platform, "bob@acme.test", NEW_PASSWORD)).status_code == 401
    async with platform.sessions() as session:
        row = await session.get(User, bob.id)
        assert row is not None and row.name == "bob"


async def test_duplicates_are_refused(
    platform: ControlPlaneHarness, smtp: SmtpSink, acme: tuple[Tenant, User]
) -> None:
    tenant, owner = acme
    await _invite(platform, acme, "bob@acme.test")
    for email, code in (("BOB@acme.test", "invitation_pending"), ("owner@acme.test", "already_a_member")):
        response = await platform.client.post(
            INVITATIONS, headers=platform.auth(owner, tenant), json={"email": email, "role": "member"}
        )
        assert response.status_code == 409, email
        assert response.json()["error"]["code"] == code


async def test_who_may_invite_whom(
    platform: ControlPlaneHarness, smtp: SmtpSink, acme: tuple[Tenant, User]
) -> None:
    tenant, owner = acme
    roles = {}
    for role in ("admin", "member", "auditor"):
        roles[role] = await platform.user(f"{role}@acme.test")
        await platform.member(tenant, roles[role], role)

    async def invite_as(role: str, email: str, invited_role: str) -> int:
        response = await platform.client.post(
            INVITATIONS,
            headers=platform.auth(roles[role], tenant),
            json={"email": email, "role": invited_role},
        )
        return response.status_code

    assert await invite_as("admin", "a@acme.test", "admin") == 201
    assert await invite_as("admin", "b@acme.test", "owner") == 403  # owners need an owner
    assert await invite_as("member", "c@acme.test", "member") == 403
    assert await invite_as("auditor", "d@acme.test", "member") == 403
    assert (
        await platform.client.get(INVITATIONS, headers=platform.auth(roles["auditor"], tenant))
    ).status_code == 200
    assert (
        await platform.client.get(INVITATIONS, headers=platform.auth(roles["member"], tenant))
    ).status_code == 403
    owner_invite = await platform.client.post(
        INVITATIONS, headers=platform.auth(owner, tenant), json={"email": "e@acme.test", "role": "owner"}
    )
    assert owner_invite.status_code == 201


async def test_revoked_and_expired_invitations_cannot_be_accepted(
    platform: ControlPlaneHarness, smtp: SmtpSink, acme: tuple[Tenant, User]
) -> None:
    tenant, owner = acme
    revoked = await _invite(platform, acme, "bob@acme.test")
    revoked_token = await _accept_token(smtp, "bob@acme.test")
    gone = await platform.client.delete(
        f"{INVITATIONS}/{revoked['id']}", headers=platform.auth(owner, tenant)
    )
    assert gone.status_code == 204 and gone.content == b""
    twice = await platform.client.delete(
        f"{INVITATIONS}/{revoked['id']}", headers=platform.auth(owner, tenant)
    )
    assert twice.status_code == 204
    response = await platform.client.post(
        ACCEPT, json={"token": revoked_token, "name": "Bob", "password": NEW_PASSWORD}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_invitation"

    await _invite(platform, acme, "carol@acme.test")
    carol_token = await _accept_token(smtp, "carol@acme.test")
    async with platform.sessions() as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.email == "carol@acme.test")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    expired = await platform.client.post(
        ACCEPT, json={"token": carol_token, "name": "Carol", "password": NEW_PASSWORD}
    )
    assert expired.status_code == 400
    listed = await platform.client.get(INVITATIONS, headers=platform.auth(owner, tenant))
    assert {row["email"]: row["status"] for row in listed.json()["data"]} == {
        "bob@acme.test": "revoked",
        "carol@acme.test": "expired",
    }
    # An expired invitation no longer blocks a new one.
    assert (await _invite(platform, acme, "carol@acme.test"))["status"] == "pending"


async def test_tokens_and_ids_of_other_tenants_lead_nowhere(
    platform: ControlPlaneHarness, smtp: SmtpSink, acme: tuple[Tenant, User]
) -> None:
    tenant, owner = acme
    other = await platform.tenant("other")
    boss = await platform.user("boss@other.test")
    await platform.member(other, boss, "owner")
    theirs = await platform.client.post(
        INVITATIONS, headers=platform.auth(boss, other), json={"email": "bob@acme.test", "role": "member"}
    )
    token = await _accept_token(smtp, "bob@acme.test")
    assert token.startswith(other.id)
    for invitation_id in (theirs.json()["id"], "not-a-uuid"):
        response = await platform.client.delete(
            f"{INVITATIONS}/{invitation_id}", headers=platform.auth(owner, tenant)
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "invitation_not_found"
    # The same secret part under another tenant's id is not an invitation.
    moved = tenant.id + token[len(other.id) :]
    response = await platform.client.post(
        ACCEPT, json={"token": moved, "name": "Bob", "password": NEW_PASSWORD}
    )
    assert response.status_code == 400
    accepted = await platform.client.post(
        ACCEPT, json={"token": token, "name": "Bob", "password": NEW_PASSWORD}
    )
    assert accepted.json()["tenant_slug"] == "other"


async def test_an_invitation_whose_mail_failed_exists_with_email_sent_false(
    platform: ControlPlaneHarness, acme: tuple[Tenant, User]
) -> None:
    tenant, owner = acme
    platform.platform.mailer = Mailer(
        MailConfig(host="127.0.0.1", port=free_port(), security="none", timeout_s=2)
    )
    response = await platform.client.post(
        INVITATIONS, headers=platform.auth(owner, tenant), json={"email": "bob@acme.test", "role": "member"}
    )
    assert response.status_code == 201
    assert response.json()["email_sent"] is False
    listed = await platform.client.get(INVITATIONS, headers=platform.auth(owner, tenant))
    assert [row["status"] for row in listed.json()["data"]] == ["pending"]


async def test_an_accepted_invitation_cannot_be_revoked(
    platform: ControlPlaneHarness, smtp: SmtpSink, acme: tuple[Tenant, User]
) -> None:
    tenant, owner = acme
    created = await _invite(platform, acme, "bob@acme.test")
    token = await _accept_token(smtp, "bob@acme.test")
    assert (
        await platform.client.post(ACCEPT, json={"token": token, "name": "Bob", "password": NEW_PASSWORD})
    ).status_code == 200
    response = await platform.client.delete(
        f"{INVITATIONS}/{created['id']}", headers=platform.auth(owner, tenant)
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invitation_accepted"
