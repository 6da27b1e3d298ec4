"""``/users/me``: your profile, your name, your password."""

from __future__ import annotations

from tests.platform.auth.signin import bearer, login, signed_in
from tests.platform.harness import PASSWORD, ControlPlaneHarness

ME = "/api/v1/users/me"
NEW_PASSWORD = "a longer passphrase than before"


async def test_read_and_rename_yourself(platform: ControlPlaneHarness) -> None:
    user = await platform.user("alice@acme.test")
    headers = platform.auth(user)
    me = await platform.client.get(ME, headers=headers)
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == user.id and body["email"] == "alice@acme.test" and body["is_platform_admin"] is False
    assert set(body) == {"id", "email", "name", "is_platform_admin", "created_at"}  # never the hash
    renamed = await platform.client.patch(ME, headers=headers, json={"name": "  Alice Martin "})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Alice Martin"
    assert (await platform.client.get(ME, headers=headers)).json()["name"] == "Alice Martin"
    for bad in ({"name": ""}, {"name": "x" * 201}, {"email": "other@acme.test"}):
        assert (await platform.client.patch(ME, headers=headers, json=bad)).status_code == 422, bad
    nul = await platform.client.patch(ME, headers=headers, json={"name": "a\x00b"})
    assert nul.status_code == 400 and nul.json()["error"]["code"] == "invalid_request"


async def test_the_operator_token_is_not_a_user(platform: ControlPlaneHarness) -> None:
    assert platform.settings.admin_token is not None
    operator = bearer(platform.settings.admin_token.get_secret_value())
    assert (await platform.client.get(ME, headers=operator)).status_code == 403
    assert (await platform.client.get(ME)).status_code == 401


async def test_change_password_ends_every_session(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    pair = await signed_in(platform, "alice@acme.test", PASSWORD)
    headers = bearer(pair["access_token"])
    wrong = await platform.client.post(
        f"{ME}/password",
        headers=headers,
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    for weak_password in ("short", "x" * 12, "a long passphrase " * 15):
        weak = await platform.client.post(
            f"{ME}/password",
            headers=headers,
            json={"current_password": PASSWORD, "new_password": weak_password},
        )
        assert weak.status_code == 400, len(weak_password)
        assert weak.json()["error"]["code"] == "weak_password"
    changed = await platform.client.post(
        f"{ME}/password", headers=headers, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204
    assert (await platform.client.get(ME, headers=headers)).status_code == 401
    refreshed = await platform.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 401
    assert (await login(platform, "alice@acme.test", NEW_PASSWORD)).status_code == 200


async def test_guessing_the_current_password_is_throttled(platform: ControlPlaneHarness) -> None:
    user = await platform.user("alice@acme.test")
    headers = platform.auth(user)
    answers = [
        (
            await platform.client.post(
                f"{ME}/password",
                headers=headers,
                json={"current_password": f"guess {n}", "new_password": NEW_PASSWORD},
            )
        ).status_code
        for n in range(platform.settings.platform.login_failures_per_account_ip + 1)
    ]
    assert answers[-1] == 429 and set(answers[:-1]) == {400}
