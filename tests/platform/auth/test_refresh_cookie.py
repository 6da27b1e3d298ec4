"""The console's refresh cookie: set instead of returned, used by refresh and logout, never readable.

httpx keeps no Secure cookie over plain http, so the tests read ``Set-Cookie`` and send ``Cookie``
themselves, as a browser on ``http://localhost`` (a secure context) would.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
from tests.platform.auth.signin import bearer
from tests.platform.harness import PASSWORD, ControlPlaneHarness

from trueport.platform.auth.cookie import COOKIE_PATH, REFRESH_COOKIE

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def _cookie(response: httpx.Response) -> SimpleCookie:
    header = response.headers.get("set-cookie")
    assert header is not None, response.headers
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    assert REFRESH_COOKIE in jar, header
    return jar


def _token_in(response: httpx.Response) -> str:
    return _cookie(response)[REFRESH_COOKIE].value


def _sends(token: str) -> dict[str, str]:
    return {"Cookie": f"{REFRESH_COOKIE}={token}"}


async def _cookie_login(platform: ControlPlaneHarness, email: str) -> httpx.Response:
    response = await platform.client.post(
        LOGIN, json={"email": email, "password": PASSWORD, "refresh_cookie": True}
    )
    assert response.status_code == 200, response.text
    return response


async def test_login_sets_a_strict_http_only_cookie_and_returns_no_refresh_token(
    platform: ControlPlaneHarness,
) -> None:
    await platform.user("alice@acme.test")
    response = await _cookie_login(platform, "alice@acme.test")
    body = response.json()
    assert body["refresh_token"] is None
    assert body["access_token"]
    morsel = _cookie(response)[REFRESH_COOKIE]
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"] == "strict"
    assert morsel["path"] == COOKIE_PATH
    assert int(morsel["max-age"]) == platform.settings.platform.refresh_token_ttl_s
    assert morsel.value not in response.text


async def test_refresh_by_cookie_rotates_the_cookie(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    first = _token_in(await _cookie_login(platform, "alice@acme.test"))
    refreshed = await platform.client.post(REFRESH, json={}, headers=_sends(first))
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] is None
    second = _token_in(refreshed)
    assert second != first
    me = await platform.client.get("/api/v1/users/me", headers=bearer(refreshed.json()["access_token"]))
    assert me.status_code == 200
    replay = await platform.client.post(REFRESH, json={}, headers=_sends(first))
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    assert _cookie(replay)[REFRESH_COOKIE].value == ""  # cleared
    after = await platform.client.post(REFRESH, json={}, headers=_sends(second))
    assert after.json()["error"]["code"] == "invalid_refresh_token"


async def test_refresh_without_a_token_anywhere_is_refused(platform: ControlPlaneHarness) -> None:
    refused = await platform.client.post(REFRESH, json={})
    assert refused.status_code == 400  # a public route: a request without a token is malformed, not 401
    assert refused.json()["error"]["code"] == "refresh_token_missing"
    unknown = await platform.client.post(REFRESH, json={}, headers=_sends("x" * 43))
    assert unknown.status_code == 401


async def test_the_json_flow_still_returns_the_token_and_sets_no_cookie(
    platform: ControlPlaneHarness,
) -> None:
    await platform.user("alice@acme.test")
    login = await platform.client.post(LOGIN, json={"email": "alice@acme.test", "password": PASSWORD})
    assert "set-cookie" not in login.headers
    token = login.json()["refresh_token"]
    refreshed = await platform.client.post(REFRESH, json={"refresh_token": token})
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"]
    assert "set-cookie" not in refreshed.headers


async def test_select_tenant_moves_the_cookie_to_a_bound_session(platform: ControlPlaneHarness) -> None:
    user = await platform.user("alice@acme.test")
    tenant = await platform.tenant("acme")
    await platform.member(tenant, user, "owner")
    login = await _cookie_login(platform, "alice@acme.test")
    unbound = _token_in(login)
    selected = await platform.client.post(
        "/api/v1/auth/select-tenant",
        json={"tenant": "acme", "refresh_cookie": True},
        headers={**bearer(login.json()["access_token"]), **_sends(unbound)},
    )
    assert selected.status_code == 200, selected.text
    assert selected.json()["refresh_token"] is None
    bound = _token_in(selected)
    refreshed = await platform.client.post(REFRESH, json={}, headers=_sends(bound))
    assert refreshed.json()["tenant_id"] == tenant.id
    # The unbound session the cookie held before is over.
    assert (await platform.client.post(REFRESH, json={}, headers=_sends(unbound))).status_code == 401


async def test_logout_by_cookie_ends_the_session_and_clears_the_cookie(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    login = await _cookie_login(platform, "alice@acme.test")
    token = _token_in(login)
    out = await platform.client.post(
        "/api/v1/auth/logout", json={}, headers={**bearer(login.json()["access_token"]), **_sends(token)}
    )
    assert out.status_code == 204
    assert _cookie(out)[REFRESH_COOKIE].value == ""
    assert (await platform.client.post(REFRESH, json={}, headers=_sends(token))).status_code == 401
