"""The main flow of the issue, end to end over HTTP and real SMTP:

invitation -> accept -> login -> select tenant -> create key -> call the gateway with it;
then a second person is invited as a member, and resets a forgotten password by e-mail.
"""

from __future__ import annotations

import asyncio
import re

import openai
from tests.platform.harness import PASSWORD, ControlPlaneHarness

from support.smtp import SmtpSink, body_html, body_text

NEW_PASSWORD = "a much longer passphrase 2026"


def _token(text: str, page: str) -> str:
    match = re.search(rf"/{page}\?token=([A-Za-z0-9_\-]+)", text)
    assert match is not None, f"no {page} link in: {text}"
    return match.group(1)


async def _login(platform: ControlPlaneHarness, email: str, password: str) -> dict[str, str]:
    response = await platform.client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_invite_accept_login_select_key_and_call_the_gateway(
    platform: ControlPlaneHarness, smtp: SmtpSink
) -> None:
    client = platform.client
    await platform.user("ops@installation.test", platform_admin=True)
    operator = await _login(platform, "ops@installation.test", PASSWORD)

    created = await client.post(
        "/api/v1/tenants",
        headers=operator,
        json={"slug": "acme", "name": "Acme Corp", "owner_email": "alice@acme.test"},
    )
    assert created.status_code == 201, created.text

    invitation = await smtp.wait_for("alice@acme.test")
    assert "Acme Corp" in body_text(invitation) and "Acme Corp" in body_html(invitation)
    accepted = await client.post(
        "/api/v1/auth/invitations/accept",
        json={
            "token": _token(body_text(invitation), "accept-invitation"),
            "name": "Alice",
            "password": NEW_PASSWORD,
        },
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "owner"

    alice = await _login(platform, "alice@acme.test", NEW_PASSWORD)
    tenants = await client.get("/api/v1/auth/tenants", headers=alice)
    assert [(t["slug"], t["role"]) for t in tenants.json()] == [("acme", "owner")]
    selected = await client.post("/api/v1/auth/select-tenant", headers=alice, json={"tenant": "acme"})
    assert selected.status_code == 200, selected.text
    alice_acme = {"Authorization": f"Bearer {selected.json()['access_token']}"}

    key = await client.post("/api/v1/keys", headers=alice_acme, json={"name": "checkout-service"})
    assert key.status_code == 201, key.text
    secret = key.json()["secret"]

    async with openai.AsyncOpenAI(base_url=f"{platform.url}/v1", api_key=secret, max_retries=0) as sdk:
        reply = await sdk.chat.completions.create(model="oa", messages=[{"role": "user", "content": "Hello"}])
    assert reply.choices[0].message.content == "Echo: Hello"

    # A second person joins as a member, forgets the password, and resets it by e-mail.
    invited = await client.post(
        "/api/v1/invitations", headers=alice_acme, json={"email": "bob@acme.test", "role": "member"}
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["email_sent"] is True
    bob_invitation = await smtp.wait_for("bob@acme.test")
    joined = await client.post(
        "/api/v1/auth/invitations/accept",
        json={
            "token": _token(body_text(bob_invitation), "accept-invitation"),
            "name": "Bob",
            "password": PASSWORD + "!",
        },
    )
    assert joined.status_code == 200, joined.text

    asked = await client.post("/api/v1/auth/password-reset", json={"email": "bob@acme.test"})
    assert asked.status_code == 202
    reset_mail = None
    for _ in range(200):
        mails = [m for m, to in zip(smtp.messages, smtp.recipients, strict=True) if "bob@acme.test" in to]
        if len(mails) == 2:
            reset_mail = mails[1]
            break
        await asyncio.sleep(0.05)
    assert reset_mail is not None, "no password-reset mail"
    confirmed = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={
            "token": _token(body_text(reset_mail), "reset-password"),
            "new_password": NEW_PASSWORD + " bob",
        },
    )
    assert confirmed.status_code == 204, confirmed.text
    bob = await _login(platform, "bob@acme.test", NEW_PASSWORD + " bob")
    bob_acme = {
        "Authorization": "Bearer "
        + (await client.post("/api/v1/auth/select-tenant", headers=bob, json={"tenant": "acme"})).json()[
            "access_token"
        ]
    }
    keys = await client.get("/api/v1/keys", headers=bob_acme)
    assert keys.status_code == 200
    assert [k["name"] for k in keys.json()["data"]] == ["checkout-service"]
    assert "secret" not in keys.json()["data"][0]
    members = await client.get("/api/v1/members", headers=bob_acme)
    assert members.status_code == 403  # members may not list members (members:read)
