"""Login throttling: per address, per account and address (lockout), per account from every address
(slowdown) with known addresses exempt, in the shared state, with an exact Retry-After."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from tests.platform.auth.signin import login
from tests.platform.harness import PASSWORD, ControlPlaneHarness

from trueport.errors import ApiThrottled
from trueport.platform.auth.throttle import LoginThrottle
from trueport.settings import Settings
from trueport.state import open_state
from trueport.state.memory import MemoryState


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _refused(throttle: LoginThrottle, email: str, ip: str) -> ApiThrottled:
    with pytest.raises(ApiThrottled) as refused:
        await throttle.check(email, ip)
    return refused.value


async def test_an_account_is_locked_from_one_address_until_the_window_ends() -> None:
    clock = Clock(9_000.0 + 100)  # 100 s into a 900 s window
    throttle = LoginThrottle(MemoryState(clock=clock, wall=clock), per_account_ip=3, per_ip=100)
    for _ in range(3):
        await throttle.check("alice@acme.test", "10.0.0.1")
        await throttle.failed("alice@acme.test", "10.0.0.1")
    refused = await _refused(throttle, "Alice@Acme.test", "10.0.0.1")  # any case
    assert refused.status == 429
    assert refused.headers["retry-after"] == "800"
    await throttle.check("alice@acme.test", "10.0.0.2")  # the owner, elsewhere, is not locked out
    await throttle.check("bob@acme.test", "10.0.0.1")  # other accounts are not affected
    clock.now += 800
    await throttle.check("alice@acme.test", "10.0.0.1")  # a new window


async def test_success_clears_the_failures_from_that_address() -> None:
    throttle = LoginThrottle(MemoryState(), per_account_ip=3, per_ip=100)
    for _ in range(2):
        await throttle.check("alice@acme.test", "10.0.0.1")
        await throttle.failed("alice@acme.test", "10.0.0.1")
    await throttle.check("alice@acme.test", "10.0.0.1")
    await throttle.succeeded("alice@acme.test", "10.0.0.1")
    for _ in range(3):
        await throttle.check("alice@acme.test", "10.0.0.1")
    await _refused(throttle, "alice@acme.test", "10.0.0.1")


async def test_attempts_in_flight_count_so_parallel_guesses_cannot_slip_through() -> None:
    throttle = LoginThrottle(MemoryState(), per_account_ip=3, per_ip=100)
    for _ in range(3):  # three checks, none resolved yet
        await throttle.check("alice@acme.test", "10.0.0.1")
    await _refused(throttle, "alice@acme.test", "10.0.0.1")


async def test_an_address_is_refused_after_its_attempts_whatever_the_accounts() -> None:
    throttle = LoginThrottle(MemoryState(), per_account_ip=100, per_ip=3)
    for number in range(3):
        await throttle.check(f"user{number}@acme.test", "10.0.0.1")
        await throttle.succeeded(f"user{number}@acme.test", "10.0.0.1")
    await _refused(throttle, "someone@acme.test", "10.0.0.1")
    await throttle.check("someone@acme.test", "10.0.0.2")


async def test_failures_from_many_addresses_slow_the_account_down() -> None:
    """A guess from each of many addresses: past ``slowdown_after`` failures, one attempt per 1, 2, 4 s."""
    clock = Clock(9_000.0)
    state = MemoryState(clock=clock, wall=clock)
    throttle = LoginThrottle(state, per_account_ip=3, per_ip=100, slowdown_after=4, slowdown_max_s=8)
    address = iter(f"10.0.1.{n}" for n in range(1, 200))
    for _ in range(4):
        ip = next(address)
        await throttle.check("alice@acme.test", ip)
        await throttle.failed("alice@acme.test", ip)
    for wait_s in (1, 2, 4, 8, 8):  # doubling with each further failure, up to slowdown_max_s
        ip = next(address)
        await throttle.check("alice@acme.test", ip)  # the slot of this wait
        await throttle.failed("alice@acme.test", ip)
        refused = await _refused(throttle, "alice@acme.test", next(address))
        assert refused.headers["retry-after"] == str(min(2 * wait_s, 8))
        assert "signed in from before" in refused.message
        clock.now += 2 * wait_s
    await throttle.check("bob@acme.test", next(address))  # other accounts are not affected


async def test_an_address_the_account_signed_in_from_is_not_slowed() -> None:
    clock = Clock(9_000.0)
    throttle = LoginThrottle(
        MemoryState(clock=clock, wall=clock),
        per_account_ip=3,
        per_ip=100,
        slowdown_after=2,
        slowdown_max_s=300,
    )
    await throttle.check("alice@acme.test", "10.0.0.1")
    await throttle.succeeded("alice@acme.test", "10.0.0.1")  # the owner's usual address
    for n in range(10):  # an attack from elsewhere
        ip = f"10.0.2.{n}"
        try:
            await throttle.check("alice@acme.test", ip)
        except ApiThrottled:
            continue
        await throttle.failed("alice@acme.test", ip)
    await _refused(throttle, "alice@acme.test", "10.0.3.1")  # a new address waits
    for _ in range(2):  # the owner's address gets in at once, and again (not one slot)
        await throttle.check("alice@acme.test", "10.0.0.1")
        await throttle.succeeded("alice@acme.test", "10.0.0.1")
    # ... but a known address still has its own lockout.
    for _ in range(3):
        await throttle.check("alice@acme.test", "10.0.0.1")
        await throttle.failed("alice@acme.test", "10.0.0.1")
    await _refused(throttle, "alice@acme.test", "10.0.0.1")


async def test_replicas_share_the_limit_and_redis_holds_no_address(redis_url: str) -> None:
    one, two = await open_state(Settings(redis=redis_url)), await open_state(Settings(redis=redis_url))
    client = Redis.from_url(redis_url)
    try:
        first = LoginThrottle(one, per_account_ip=2, per_ip=100, slowdown_after=3)
        second = LoginThrottle(two, per_account_ip=2, per_ip=100, slowdown_after=3)
        await first.check("alice@acme.test", "192.0.2.10")
        await second.check("alice@acme.test", "192.0.2.10")
        await _refused(first, "alice@acme.test", "192.0.2.10")
        await _refused(second, "alice@acme.test", "192.0.2.10")
        for throttle, ip in ((first, "192.0.2.20"), (second, "192.0.2.21"), (first, "192.0.2.22")):
            await throttle.check("alice@acme.test", ip)
            await throttle.failed("alice@acme.test", ip)
        await first.check("alice@acme.test", "192.0.2.23")  # the one slot, shared
        await _refused(second, "alice@acme.test", "192.0.2.24")
        await first.succeeded("alice@acme.test", "192.0.2.30")
        keys = [key.decode() async for key in client.scan_iter("login:*")]
        assert keys, "the throttle wrote nothing to Redis"
        assert not [key for key in keys if "alice" in key or "acme" in key or "192.0.2" in key]
    finally:
        await client.aclose()
        await one.close()
        await two.close()


async def test_login_locks_an_account_per_address(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    await platform.user("bob@acme.test")
    limit = platform.settings.platform.login_failures_per_account_ip
    for _ in range(limit):
        assert (await login(platform, "alice@acme.test", "wrong password here")).status_code == 401
    throttled = await login(platform, "alice@acme.test", PASSWORD)  # even the right password waits
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(throttled.headers["retry-after"]) <= 900
    assert (await login(platform, "bob@acme.test", PASSWORD)).status_code == 200


async def test_a_successful_login_forgives_earlier_failures(platform: ControlPlaneHarness) -> None:
    await platform.user("alice@acme.test")
    limit = platform.settings.platform.login_failures_per_account_ip
    for _ in range(2):
        for _ in range(limit - 1):
            assert (await login(platform, "alice@acme.test", "wrong password here")).status_code == 401
        assert (await login(platform, "alice@acme.test", PASSWORD)).status_code == 200


async def test_login_answers_429_per_client_address(platform: ControlPlaneHarness) -> None:
    limit = platform.settings.platform.login_attempts_per_ip
    for number in range(limit):  # a spray: one guess per account
        response = await login(platform, f"user{number}@acme.test", "a guessed password")
        assert response.status_code == 401
    throttled = await login(platform, "another@acme.test", "a guessed password")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    # Password-reset requests count against the same address.
    reset = await platform.client.post("/api/v1/auth/password-reset", json={"email": "x@acme.test"})
    assert reset.status_code == 429
