"""The development outbox: without an SMTP server, mail is kept in the database (bounded) and platform
admins read it at ``/admin/outbox``; an invited owner's link from it works."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tests.platform.auth.signin import fast_hashing, link_token
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.mockprovider import MockProvider
from trueport.platform.config import MailConfig
from trueport.platform.mail.mailer import Mailer, OutgoingMail
from trueport.platform.mail.outbox import Outbox, open_outbox

OUTBOX = "/api/v1/admin/outbox"


@pytest.fixture
async def unmailed(database_url: str, mock: MockProvider) -> AsyncIterator[ControlPlaneHarness]:
    """TruePort in development with no ``mail.host``."""
    async with running_platform(platform_settings(database_url, mock.url)) as harness:
        yield fast_hashing(harness)


async def test_an_invitation_lands_in_the_outbox_and_its_link_works(unmailed: ControlPlaneHarness) -> None:
    assert unmailed.settings.mail.host is None and unmailed.settings.development
    admin = unmailed.auth(await unmailed.user("ops@installation.test", platform_admin=True))
    assert (await unmailed.client.get(OUTBOX, headers=admin)).json() == {"enabled": True, "data": []}
    created = await unmailed.client.post(
        "/api/v1/tenants",
        headers=admin,
        json={"slug": "acme", "name": "Acme", "owner_email": "alice@acme.test"},
    )
    assert created.status_code == 201 and created.json()["owner_invitation"]["email_sent"] is True
    outbox = await unmailed.client.get(OUTBOX, headers=admin)
    [mail] = outbox.json()["data"]
    assert mail["to"] == "alice@acme.test" and "accept-invitation?token=" in mail["html"]
    accepted = await unmailed.client.post(
        "/api/v1/auth/invitations/accept",
        json={
            "token": link_token(mail["text"], "accept-invitation"),
            "name": "Alice",
            "password": "alice's passphrase",
        },
    )
    assert accepted.status_code == 200 and accepted.json()["tenant_slug"] == "acme"


async def test_a_password_reset_lands_in_the_outbox_and_its_link_works(unmailed: ControlPlaneHarness) -> None:
    admin = unmailed.auth(await unmailed.user("ops@installation.test", platform_admin=True))
    await unmailed.user("bob@acme.test")
    asked = await unmailed.client.post("/api/v1/auth/password-reset", json={"email": "bob@acme.test"})
    assert asked.status_code == 202
    mails: list[dict[str, str]] = []
    for _ in range(100):  # the reset mail goes out after the answer
        mails = (await unmailed.client.get(OUTBOX, headers=admin)).json()["data"]
        if mails:
            break
        await asyncio.sleep(0.05)
    [mail] = mails
    assert mail["to"] == "bob@acme.test" and mail["subject"] == "Reset your TruePort password"
    done = await unmailed.client.post(
        "/api/v1/auth/password-reset/confirm",
        json={
            "token": link_token(mail["text"], "reset-password"),
            "new_password": "bob's new long passphrase",
        },
    )
    assert done.status_code == 204, done.text
    # Nobody else reads the outbox.
    bob = (await unmailed.client.get("/api/v1/admin/users", headers=admin, params={"search": "bob"})).json()
    assert [user["email"] for user in bob["data"]] == ["bob@acme.test"]
    tenant = await unmailed.tenant("acme")
    owner = await unmailed.user("owner@acme.test")
    await unmailed.member(tenant, owner, "owner")
    assert (await unmailed.client.get(OUTBOX, headers=unmailed.auth(owner, tenant))).status_code == 403


async def test_the_outbox_keeps_the_newest(unmailed: ControlPlaneHarness) -> None:
    outbox = Outbox(unmailed.sessions, keep=3)
    for number in range(5):
        await outbox.put(
            OutgoingMail(to=f"u{number}@x.test", subject=f"mail {number}", text="t", html="<p>h</p>")
        )
    assert [mail.subject for mail in await outbox.recent(10)] == ["mail 4", "mail 3", "mail 2"]


async def test_with_smtp_there_is_no_outbox(platform: ControlPlaneHarness) -> None:
    admin = platform.auth(await platform.user("ops@installation.test", platform_admin=True))
    assert open_outbox(platform.settings, platform.sessions) is None
    assert (await platform.client.get(OUTBOX, headers=admin)).json() == {"enabled": False, "data": []}


async def test_a_mailer_with_an_outbox_counts_as_configured(unmailed: ControlPlaneHarness) -> None:
    """Budget alerts are mailed only by a configured mailer: in development they reach the outbox."""
    mailer = unmailed.platform.mailer
    assert mailer.config.host is None and mailer.configured
    await mailer.send(OutgoingMail(to="finance@acme.test", subject="Budget alert", text="t", html="<p>h</p>"))
    assert unmailed.platform.outbox is not None
    assert [mail.recipient for mail in await unmailed.platform.outbox.recent(5)] == ["finance@acme.test"]
    assert not Mailer(MailConfig()).configured


def test_production_keeps_no_outbox(unmailed: ControlPlaneHarness) -> None:
    production = unmailed.settings.model_copy(update={"environment": "production"})
    assert open_outbox(production, unmailed.sessions) is None
    assert open_outbox(unmailed.settings, unmailed.sessions) is not None
