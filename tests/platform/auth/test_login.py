"""``POST /auth/login``: the right password gets a token pair, anything else the same 401."""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from tests.platform.auth.signin import FAST_HASHER, bearer, login, signed_in
from tests.platform.harness import PASSWORD, ControlPlaneHarness

from trueport.db.models import RefreshToken, User
from trueport.platform.auth.opaque import token_digest
from trueport.platform.auth.passwords import Passwords


async def test_login_returns_an_unbound_token_pair(platform: ControlPlaneHarness) -> None:
    user = await platform.user("alice@acme.test")
    pair = await signed_in(platform, "alice@acme.test", PASSWORD)
    assert pair["token_type"] == "bearer"
    assert pair["tenant_id"] is None
    assert pair["expires_in"] == platform.settings.platform.access_token_ttl_s
    assert pair["refresh_expires_in"] == platform.settings.platform.refresh_token_ttl_s
    claims = platform.platform.tokens.decode(pair["access_token"])
    assert claims.user_id == user.id and claims.tenant_id is None
    me = await platform.client.get("/api/v1/users/me", headers=bearer(pair["access_token"]))
    assert me.json()["email"] == "alice@acme.test"
    async with platform.sessions() as session:
        stored = (await session.execute(select(RefreshToken))).scalars().all()
    # Only the digest of the refresh token is kept.
    assert [row.token_hash for row in stored] == [token_digest(pair["refresh_token"])]
    assert pair["refresh_token"] not in stored[0].token_hash


async def test_the_address_is_case_insensitive(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    assert (await login(platform, "  Alice@ACME.test ", PASSWORD)).status_code == 200


async def test_unknown_address_and_wrong_password_get_the_same_answer(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    wrong = await login(platform, "alice@acme.test", "not the password at all")
    unknown = await login(platform, "nobody@acme.test", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


async def test_a_disabled_user_cannot_sign_in(platform: ControlPlaneHarness) -> None:
    user = await platform.user("alice@acme.test")
    async with platform.sessions() as session:
        row = await session.get(User, user.id)
        assert row is not None
        row.disabled_at = datetime.now(UTC)
        await session.commit()
    response = await login(platform, "alice@acme.test", PASSWORD)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_a_password_hashed_with_weaker_parameters_is_rehashed_on_login(
    platform: ControlPlaneHarness,
) -> None:
    user = await platform.user("alice@acme.test")  # hashed with the tests' cheap parameters
    platform.platform.passwords = Passwords(2)  # the installation's real parameters
    assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 200
    async with platform.sessions() as session:
        row = await session.get(User, user.id)
        assert row is not None
    assert "m=65536,t=3,p=4" in row.password_hash
    assert not PasswordHasher().check_needs_rehash(row.password_hash)
    assert FAST_HASHER.check_needs_rehash(row.password_hash)  # it changed
    platform.platform.passwords = Passwords(4, hasher=FAST_HASHER)
    assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 200  # still the password


async def test_bad_bodies_are_refused_before_any_work(platform: ControlPlaneHarness) -> None:
    for body in (
        {"email": "alice@acme.test"},
        {"email": "not-an-address", "password": PASSWORD},
        {"email": "alice@acme.test", "password": "x" * 257},
        {"email": "alice@acme.test", "password": PASSWORD, "tenant": "acme"},
    ):
        response = await platform.client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 422, body
