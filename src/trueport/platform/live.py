"""Live configuration push (STUB: owned by the live-config helper; to be replaced)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.engine import SessionFactory
from trueport.state.protocols import State


class LiveConfig:
    def __init__(self, state: State, sessions: SessionFactory, *, poll_s: float):
        self._state = state
        self._sessions = sessions
        self.poll_s = poll_s

    async def bump(self, session: AsyncSession) -> int:
        """Raise the configuration generation inside the caller's transaction; the new number."""
        raise NotImplementedError

    async def announce(self, generation: int) -> None:
        """Tell every gateway replica (after the commit) that the configuration changed."""
        raise NotImplementedError
