"""Helpers of the sign-in tests, shared by the users, members and tenants tests.

``fast_hashing`` swaps the running installation's ``Passwords`` for one with the cheapest argon2id
parameters: the real code, hashing in microseconds instead of ~0.1-0.5 s, so that tests which sign
in many times stay fast. (``test_login.py`` checks the real parameters once, through rehashing.)
"""

from __future__ import annotations

import re

import httpx
from argon2 import PasswordHasher
from tests.platform.harness import ControlPlaneHarness

from trueport.platform.auth.passwords import Passwords

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def fast_hashing(platform: ControlPlaneHarness) -> ControlPlaneHarness:
    platform.platform.passwords = Passwords(4, hasher=FAST_HASHER)
    return platform


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(platform: ControlPlaneHarness, email: str, password: str) -> httpx.Response:
    return await platform.client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def signed_in(platform: ControlPlaneHarness, email: str, password: str) -> dict[str, str]:
    """The token pair of a successful login (fails the test otherwise)."""
    response = await login(platform, email, password)
    assert response.status_code == 200, response.text
    pair: dict[str, str] = response.json()
    return pair


def link_token(text: str, page: str) -> str:
    """The token of the ``/<page>?token=...`` link in a mail."""
    match = re.search(rf"/{page}\?token=([A-Za-z0-9_\-]+)", text)
    assert match is not None, f"no {page} link in: {text}"
    return match.group(1)
