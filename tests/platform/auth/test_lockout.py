"""An attack on one account does not lock its owner out (through the running server).

Clients here connect from different loopback addresses (127.0.0.x), which the server sees as
different client IPs: the attacker's and the owner's. Small limits keep the test fast:
3 failures lock an account from one address, 4 failures from all addresses start the slowdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from tests.platform.auth.signin import fast_hashing
from tests.platform.harness import PASSWORD, ControlPlaneHarness, platform_settings, running_platform

from support.smtp import SmtpSink
from trueport.mockprovider import MockProvider

LOGIN = "/api/v1/auth/login"
ADMIN = "ops@installation.test"


@pytest.fixture
async def platform(
    database_url: str, mock: MockProvider, smtp: SmtpSink
) -> AsyncIterator[ControlPlaneHarness]:
    settings = platform_settings(
        database_url,
        mock.url,
        mail=smtp.mail_settings(),
        platform={
            "login_failures_per_account_ip": 3,
            "login_failures_per_account": 4,
            "login_slowdown_max_s": 2,
        },
    )
    async with running_platform(settings) as harness:
        yield fast_hashing(harness)


async def _from(platform: ControlPlaneHarness, address: str, password: str) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=platform.url, transport=transport, timeout=10) as client:
        return await client.post(LOGIN, json={"email": ADMIN, "password": password})


async def test_the_right_password_from_a_known_address_gets_in_during_an_attack(
    platform: ControlPlaneHarness,
) -> None:
    await platform.user(ADMIN, platform_admin=True)
    owner = "127.0.0.1"
    assert (await _from(platform, owner, PASSWORD)).status_code == 200  # the owner's usual address

    # The attacker's address: locked after 3 failures, the right password included.
    for _ in range(3):
        assert (await _from(platform, "127.0.0.2", "wrong password here")).status_code == 401
    locked = await _from(platform, "127.0.0.2", PASSWORD)
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
    assert (await _from(platform, owner, PASSWORD)).status_code == 200  # not from the owner's

    # A botnet: one guess per address. Past 4 failures, new addresses are slowed down...
    answers = [
        (await _from(platform, f"127.0.0.{n}", "wrong password here")).status_code for n in range(3, 12)
    ]
    assert answers[0] == 401 and 429 in answers, answers
    slowed = await _from(platform, "127.0.0.50", PASSWORD)
    assert slowed.status_code == 429 and 1 <= int(slowed.headers["retry-after"]) <= 2
    # ... the owner's known address is not, whatever the attack ...
    for _ in range(3):
        assert (await _from(platform, owner, PASSWORD)).status_code == 200
    # ... and a new address with the right password gets in once it has waited.
    await asyncio.sleep(int(slowed.headers["retry-after"]) + 0.1)
    assert (await _from(platform, "127.0.0.50", PASSWORD)).status_code == 200
