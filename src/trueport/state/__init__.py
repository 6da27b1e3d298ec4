"""Shared state: windowed counters, GCRA cells, key/value with TTL, pub/sub and a shared clock.

``open_state(settings)`` gives the Redis backend when ``settings.redis`` is set (replicas share it;
while Redis is unreachable it serves locally and says ``degraded``), else the in-memory backend
(embedded mode). Code above this package sees only the ``State`` protocol.
"""

from __future__ import annotations

from trueport.settings import Settings
from trueport.state.memory import MemoryState
from trueport.state.protocols import (
    Cell,
    CellState,
    KeyValue,
    Message,
    Paced,
    PubSub,
    RateCells,
    Reserved,
    State,
    Subscription,
    Window,
    WindowCounters,
)
from trueport.state.redis import open_redis_state

__all__ = [
    "Cell",
    "CellState",
    "KeyValue",
    "Message",
    "Paced",
    "PubSub",
    "RateCells",
    "Reserved",
    "State",
    "Subscription",
    "Window",
    "WindowCounters",
    "open_state",
]


async def open_state(settings: Settings, *, probe_interval_s: float = 1.0) -> State:
    """The state this process uses; ``await state.close()`` at shutdown. Never fails for want of Redis."""
    if settings.redis is None:
        return MemoryState()
    return await open_redis_state(
        settings.redis,
        timeout_s=settings.redis_timeout_ms / 1000,
        local_share=settings.limits.local_share,
        probe_interval_s=probe_interval_s,
    )
