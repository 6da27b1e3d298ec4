"""Building the process's breakers, retries and deadline from settings (shared through Redis if set)."""

from __future__ import annotations

import contextlib

from trueport.gateway.failover import Resilience
from trueport.limits.breaker import BreakerRegistry, BreakerStore
from trueport.limits.breaker_store import MemoryBreakerStore
from trueport.limits.status import target_labels
from trueport.settings import Settings


async def open_resilience(settings: Settings, stack: contextlib.AsyncExitStack) -> Resilience:
    store: BreakerStore
    if settings.redis is None:
        store = MemoryBreakerStore()
    else:
        from redis.asyncio import BlockingConnectionPool, Redis  # only where Redis is configured

        from trueport.limits.breaker_redis import shared_breaker_store

        # A blocking pool: a burst waits briefly for a connection instead of failing as "Redis down".
        pool = BlockingConnectionPool.from_url(settings.redis, max_connections=64, timeout=1.0)
        client = Redis(connection_pool=pool)
        stack.push_async_callback(pool.aclose)
        stack.push_async_callback(client.aclose)
        store = shared_breaker_store(client, settings.resilience)
    breakers = BreakerRegistry(store, settings.resilience, labels=target_labels(settings))
    return Resilience.from_config(settings.resilience, breakers)
