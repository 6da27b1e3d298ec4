"""Login throttling per account and per client IP (STUB: owned by the auth helper; to be replaced)."""

from __future__ import annotations

from trueport.state.protocols import State


class LoginThrottle:
    def __init__(self, state: State, *, per_account: int, per_ip: int, window_s: int = 900):
        self._state = state
        self.per_account = per_account
        self.per_ip = per_ip
        self.window_s = window_s

    async def check(self, email: str, ip: str) -> None:
        """Raise ``ApiThrottled`` if this account or IP has failed too often recently."""
        raise NotImplementedError

    async def failed(self, email: str, ip: str) -> None:
        raise NotImplementedError

    async def succeeded(self, email: str, ip: str) -> None:
        raise NotImplementedError
