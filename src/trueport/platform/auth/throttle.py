"""Login throttling that slows an attacker without locking the owner out, in the shared state (so it
holds across replicas).

The rules, each over fixed windows of ``window_s`` (15 minutes by default) aligned on the state's clock:

1. **Per address**: an IP may make ``per_ip`` attempts per window, whatever their outcome and account
   (slows a spray over many accounts from one address). Password-reset requests count here too.
2. **Per account and address (lockout)**: ``per_account_ip`` failed attempts on one account from one
   IP lock that pair for the rest of the window (429 with ``Retry-After``). Other addresses are not
   affected, so five wrong passwords from an attacker's address do not lock the owner out.
3. **Per account, every address (slowdown)**: once an account has had ``slowdown_after`` failures in
   the window, from whatever addresses, attempts on it from an address that has never signed in to it
   successfully get one slot per account every ``2 ** (failures - slowdown_after)`` seconds (at most
   ``slowdown_max_s``); others are refused with 429 and that wait as ``Retry-After``. A botnet
   guessing one account from many addresses is slowed to a trickle.
4. **Known addresses**: an address from which the account has signed in before (remembered for
   ``known_ip_ttl_s`` after each success) is exempt from rule 3, so the right password from the
   owner's usual address still gets in during an attack; rules 1 and 2 still apply to it.

A success clears rule 2's count for that account and address and remembers the address; it does not
clear rule 3's (the attacker elsewhere is still at it). ``check`` counts an attempt against rules 1
and 2 before the password is verified, in one atomic step, so that a burst of parallel guesses
cannot all pass before the first failure is recorded. A fixed window lets up to twice a limit
through across a window boundary; that is the price of one counter per window and an exact
``Retry-After``.

Keys hold digests, never the e-mail address or the IP itself: the shared state (Redis) carries no
personal data.
"""

from __future__ import annotations

import hashlib
import math

import structlog

from trueport.errors import ApiThrottled
from trueport.state.protocols import State, Window

log = structlog.get_logger(__name__)

_CLEAR = -(2**31)  # counters never go below zero: this empties one


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"trueport-login:{kind}:{value}".encode()).hexdigest()[:32]


class LoginThrottle:
    def __init__(
        self,
        state: State,
        *,
        per_account_ip: int,
        per_ip: int,
        slowdown_after: int = 10,
        slowdown_max_s: int = 300,
        known_ip_ttl_s: int = 90 * 86_400,
        window_s: int = 900,
    ):
        self._state = state
        self.per_account_ip = per_account_ip
        self.per_ip = per_ip
        self.slowdown_after = slowdown_after
        self.slowdown_max_s = slowdown_max_s
        self.known_ip_ttl_s = known_ip_ttl_s
        self.window_s = window_s

    def _window(self) -> tuple[int, int]:
        """The current window's number and the seconds until it ends (at least 1)."""
        now = self._state.now()
        number = int(now // self.window_s)
        return number, max(1, math.ceil((number + 1) * self.window_s - now))

    @staticmethod
    def _account(email: str) -> str:
        return _digest("account", email.strip().lower())

    def _account_key(self, email: str, window: int) -> str:
        return f"login:account:{self._account(email)}:{window}"

    def _pair_key(self, email: str, ip: str, window: int) -> str:
        return f"login:pair:{_digest('pair', self._account(email) + ip)}:{window}"

    def _ip_key(self, ip: str, window: int) -> str:
        return f"login:ip:{_digest('ip', ip)}:{window}"

    def _known_key(self, email: str, ip: str) -> str:
        return f"login:known:{_digest('known', self._account(email) + ip)}"

    def _slot_key(self, email: str) -> str:
        return f"login:slot:{self._account(email)}"

    async def check(self, email: str, ip: str) -> None:
        """Count one attempt for ``email`` from ``ip``; raise ``ApiThrottled`` (429) if a rule refuses it
        (the refused attempt is then not counted)."""
        window, remaining_s = self._window()
        windows = [Window(self._ip_key(ip, window), self.per_ip)]
        if email:
            windows.append(Window(self._pair_key(email, ip, window), self.per_account_ip))
        reserved = await self._state.counters.reserve(windows, 1, self.window_s)
        if not reserved.admitted:
            which = "address" if reserved.refused == 0 else "account from this address"
            log.warning("login_throttled", scope=which)
            raise ApiThrottled(
                f"too many sign-in attempts for this {which}; try again later",
                retry_after_s=remaining_s,
                code="too_many_attempts",
            )
        if not email or await self._state.kv.get(self._known_key(email, ip)) is not None:
            return
        failures = await self._state.counters.get(self._account_key(email, window))
        if failures < self.slowdown_after:
            return
        wait_s = min(self.slowdown_max_s, 2 ** min(failures - self.slowdown_after, 30))
        if await self._state.kv.set_if_absent(self._slot_key(email), b"1", wait_s):
            return
        await self._state.counters.add([w.key for w in windows], -1, self.window_s)  # not counted
        log.warning("login_throttled", scope="account", wait_s=wait_s)
        raise ApiThrottled(
            "too many failed sign-ins on this account; try again later, or from an address you have "
            "signed in from before",
            retry_after_s=wait_s,
            code="too_many_attempts",
        )

    async def check_ip(self, ip: str) -> None:
        """Count an attempt from ``ip`` alone (password-reset requests: they send mail on demand)."""
        await self.check("", ip)

    async def failed(self, email: str, ip: str) -> None:
        """Count the failure against the account (rule 3; rule 2 counted it in ``check``). Logged without
        the address (an account digest lets an operator correlate attempts)."""
        window, _ = self._window()
        await self._state.counters.add([self._account_key(email, window)], 1, self.window_s)
        log.info("login_failed", account=self._account(email)[:12])

    async def succeeded(self, email: str, ip: str) -> None:
        """Clear the failures of this account from this address (the previous window's too: the attempt
        may have been counted there, just before the boundary) and remember the address as known."""
        window, _ = self._window()
        keys = [self._pair_key(email, ip, window), self._pair_key(email, ip, window - 1)]
        await self._state.counters.add(keys, _CLEAR, self.window_s)
        await self._state.kv.set(self._known_key(email, ip), b"1", self.known_ip_ttl_s)
