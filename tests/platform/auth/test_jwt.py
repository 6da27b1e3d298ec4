"""The JWT negative suite: every forged, altered, stale or misdirected access token is refused by a real
endpoint, both a user one (``GET /users/me``) and a tenant-scoped one (``GET /members``).

The tokens are built here with PyJWT and ``cryptography`` from first principles (not with the
installation's codec), so a codec that accepted too much would be caught.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.platform.auth.signin import bearer, signed_in
from tests.platform.harness import PASSWORD, ControlPlaneHarness

from trueport.db.models import Tenant, User
from trueport.jsonutil import dumps, loads_object

ME = "/api/v1/users/me"
MEMBERS = "/api/v1/members"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class World:
    platform: ControlPlaneHarness
    alice: User
    bob: User
    a: Tenant
    b: Tenant

    @property
    def secret(self) -> bytes:
        value = self.platform.settings.platform.jwt_secret
        assert value is not None
        return value.get_secret_value().encode()

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Claims the installation would issue for Alice bound to tenant a; ``None`` drops a claim."""
        config = self.platform.settings.platform
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": self.alice.id,
            "tid": self.a.id,
            "iat": now,
            "exp": now + 600,
            "iss": config.jwt_issuer,
            "aud": config.jwt_audience,
            "jti": "test",
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def hs256(self, **changes: Any) -> str:
        return jwt.encode(self.claims(**changes), self.secret, algorithm="HS256")

    def genuine(self) -> str:
        token = self.platform.token(self.alice, self.a)
        return token


@pytest.fixture
async def world(platform: ControlPlaneHarness) -> World:
    a, b = await platform.tenant("a"), await platform.tenant("b")
    alice, bob = await platform.user("alice@a.test"), await platform.user("bob@b.test")
    await platform.member(a, alice, "owner")
    await platform.member(b, bob, "owner")
    return World(platform, alice, bob, a, b)


def _alg_none(w: World) -> str:
    header = _b64(dumps({"alg": "none", "typ": "JWT"}))
    return f"{header}.{_b64(dumps(w.claims()))}."


def _alg_none_with_signature(w: World) -> str:
    header = _b64(dumps({"alg": "none", "typ": "JWT"}))
    signature = w.genuine().rsplit(".", 1)[1]
    return f"{header}.{_b64(dumps(w.claims()))}.{signature}"


def _hs512(w: World) -> str:
    """Signed by hand: PyJWT warns (rightly) that the secret is short for HS512."""
    signing_input = f"{_b64(dumps({'alg': 'HS512', 'typ': 'JWT'}))}.{_b64(dumps(w.claims()))}"
    signature = hmac.new(w.secret, signing_input.encode(), hashlib.sha512).digest()
    return f"{signing_input}.{_b64(signature)}"


def _rs256(w: World) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(w.claims(), key, algorithm="RS256")


def _payload_changed(w: World, **changes: Any) -> str:
    header, payload, signature = w.genuine().split(".")
    claims = loads_object(_unb64(payload)) | changes
    return f"{header}.{_b64(dumps(claims))}.{signature}"


def _signature_flipped(w: World) -> str:
    header, payload, signature = w.genuine().split(".")
    raw = bytearray(_unb64(signature))
    raw[0] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(raw))}"


def _expired(w: World) -> str:
    codec = w.platform.platform.tokens
    return codec.issue(w.alice.id, w.a.id, now=time.time() - codec.ttl_s - 60)


def _operator_token_altered(w: World) -> str:
    admin_token = w.platform.settings.admin_token
    assert admin_token is not None
    return admin_token.get_secret_value()[:-1] + "x"


FORGED: dict[str, Callable[[World], str]] = {
    "alg none, no signature": _alg_none,
    "alg none, a real signature": _alg_none_with_signature,
    "HS512 with the real secret": _hs512,
    "RS256 with a generated key": _rs256,
    "HS256 with another secret": lambda w: jwt.encode(
        w.claims(), b"another-secret-that-is-long-enough-0123456789", algorithm="HS256"
    ),
    "payload: sub changed to another user": lambda w: _payload_changed(w, sub=w.bob.id),
    "payload: tid changed to another tenant": lambda w: _payload_changed(w, tid=w.b.id),
    "payload: exp extended": lambda w: _payload_changed(w, exp=int(time.time()) + 10**6),
    "signature altered": _signature_flipped,
    "signature removed": lambda w: w.genuine().rsplit(".", 1)[0] + ".",
    "expired": _expired,
    "wrong audience": lambda w: w.hs256(aud="someone-else"),
    "wrong issuer": lambda w: w.hs256(iss="someone-else"),
    "no exp": lambda w: w.hs256(exp=None),
    "no iat": lambda w: w.hs256(iat=None),
    "no sub": lambda w: w.hs256(sub=None),
    "iat in the future": lambda w: w.hs256(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200),
    "sub of no user": lambda w: w.hs256(sub="00000000-0000-4000-8000-000000000000"),
    "not a JWT": lambda w: "not-a-jwt",
    "the operator token, altered": _operator_token_altered,
}


async def test_forged_and_altered_tokens_are_refused_everywhere(world: World) -> None:
    client = world.platform.client
    assert (await client.get(ME, headers=bearer(world.genuine()))).status_code == 200
    assert (await client.get(MEMBERS, headers=bearer(world.genuine()))).status_code == 200
    accepted: list[str] = []
    for name, make in FORGED.items():
        token = make(world)
        for path in (ME, MEMBERS):
            response = await client.get(path, headers=bearer(token))
            if response.status_code != 401 or response.json()["error"]["code"] not in (
                "invalid_token",
                "token_expired",
                "unauthorized",
            ):
                accepted.append(f"{name} on {path}: {response.status_code} {response.text[:120]}")
    assert accepted == []


async def test_an_expired_token_says_so(world: World) -> None:
    response = await world.platform.client.get(ME, headers=bearer(_expired(world)))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


async def test_a_token_for_another_tenant_is_refused(world: World) -> None:
    client, platform = world.platform.client, world.platform
    await platform.member(world.b, world.alice, "member")  # Alice is in both tenants
    bound_to_a = bearer(platform.token(world.alice, world.a))
    conflict = await client.get(MEMBERS, headers=bound_to_a | {"X-Tenant-Slug": "b"})
    assert conflict.status_code == 403
    assert conflict.json()["error"]["code"] == "tenant_conflict"
    same = await client.get(MEMBERS, headers=bound_to_a | {"X-Tenant-Slug": "a"})
    assert same.status_code == 200


async def test_a_token_bound_to_a_tenant_the_user_is_not_a_member_of_is_refused(world: World) -> None:
    client, platform = world.platform.client, world.platform
    foreign = bearer(platform.token(world.alice, world.b))  # signed by the installation itself
    response = await client.get(MEMBERS, headers=foreign)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_member"
    unbound = bearer(platform.token(world.alice))
    header_only = await client.get(MEMBERS, headers=unbound | {"X-Tenant-Slug": "b"})
    assert header_only.status_code == 403
    assert header_only.json()["error"]["code"] == "not_a_member"


async def test_a_disabled_users_token_is_refused(world: World) -> None:
    platform = world.platform
    token = bearer(world.genuine())
    async with platform.sessions() as session:
        user = await session.get(User, world.alice.id)
        assert user is not None
        user.disabled_at = datetime.now(UTC)
        await session.commit()
    for path in (ME, MEMBERS):
        response = await platform.client.get(path, headers=token)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "invalid_token"
    assert (
        await platform.client.post("/api/v1/auth/login", json={"email": "alice@a.test", "password": PASSWORD})
    ).status_code == 401


async def test_a_token_issued_before_logout_everywhere_is_refused(world: World) -> None:
    platform = world.platform
    before = bearer(world.genuine())
    session = await signed_in(platform, "alice@a.test", PASSWORD)
    out = await platform.client.post(
        "/api/v1/auth/logout",
        headers=bearer(session["access_token"]),
        json={"refresh_token": session["refresh_token"], "everywhere": True},
    )
    assert out.status_code == 204
    for token in (before, bearer(session["access_token"])):
        for path in (ME, MEMBERS):
            response = await platform.client.get(path, headers=token)
            assert response.status_code == 401, path
            assert response.json()["error"]["code"] == "token_revoked"
    # Signing in again, even within the same second, gives a token that works.
    again = await signed_in(platform, "alice@a.test", PASSWORD)
    assert (await platform.client.get(ME, headers=bearer(again["access_token"]))).status_code == 200
