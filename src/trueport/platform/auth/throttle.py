"""Login throttling per account and per client IP, in the shared state (so it holds across replicas).

Two fixed windows of ``window_s`` (15 minutes by default), aligned on the state's clock:

- an IP may make ``per_ip`` attempts per window, whatever their outcome (slows a spray over many
  accounts from one address);
- an account may have ``per_account`` failed attempts per window (slows guessing one password from
  many addresses); a successful login clears them.

``check`` counts the attempt against both before the password is verified, in one atomic step, and
the account's count stands unless ``succeeded`` clears it. Counting up front, rather than after a
failure, matters: otherwise a burst of parallel guesses would all pass the check before the first
failure were recorded. A fixed window lets up to twice the limit through across a window boundary;
that is the price of one counter per window and an exact ``Retry-After``.

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
    def __init__(self, state: State, *, per_account: int, per_ip: int, window_s: int = 900):
        self._state = state
        self.per_account = per_account
        self.per_ip = per_ip
        self.window_s = window_s

    def _window(self) -> tuple[int, int]:
        """The current window's number and the seconds until it ends (at least 1)."""
        now = self._state.now()
        number = int(now // self.window_s)
        return number, max(1, math.ceil((number + 1) * self.window_s - now))

    def _account_key(self, email: str, window: int) -> str:
        return f"login:account:{_digest('account', email.strip().lower())}:{window}"

    def _ip_key(self, ip: str, window: int) -> str:
        return f"login:ip:{_digest('ip', ip)}:{window}"

    async def check(self, email: str, ip: str) -> None:
        """Count one attempt for ``email`` from ``ip``; raise ``ApiThrottled`` (429) if either is over
        its limit (the refused attempt is then not counted)."""
        window, remaining_s = self._window()
        windows = [Window(self._ip_key(ip, window), self.per_ip)]
        if email:
            windows.append(Window(self._account_key(email, window), self.per_account))
        reserved = await self._state.counters.reserve(windows, 1, self.window_s)
        if reserved.admitted:
            return
        which = "address" if reserved.refused == 0 else "account"
        log.warning("login_throttled", scope=which)
        raise ApiThrottled(
            f"too many sign-in attempts for this {which}; try again later",
            retry_after_s=remaining_s,
            code="too_many_attempts",
        )

    async def check_ip(self, ip: str) -> None:
        """Count an attempt from ``ip`` alone (password-reset requests: they send mail on demand)."""
        await self.check("", ip)

    async def failed(self, email: str, ip: str) -> None:
        """The attempt ``check`` counted stays counted: nothing more to store. Logged without the
        address (an account digest lets an operator correlate attempts)."""
        log.info("login_failed", account=_digest("account", email.strip().lower())[:12])

    async def succeeded(self, email: str, ip: str) -> None:
        """Clear the account's failures (the IP's attempts stay counted). The previous window too: the
        attempt may have been counted there, just before the boundary."""
        window, _ = self._window()
        keys = [self._account_key(email, window), self._account_key(email, window - 1)]
        await self._state.counters.add(keys, _CLEAR, self.window_s)
