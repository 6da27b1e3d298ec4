"""The event bus: what happened in the gateway, for other systems to act on.

``publish(topic, event)`` is an in-memory append (the hot path never waits); a background task
forwards events to the backend: in-process queues (embedded mode) or Redis Streams with consumer
groups when ``redis`` is configured, so that every replica's events reach one group of consumers.
"""

from __future__ import annotations

from trueport.events.bus import Consumer, DeadLetter, DeadLetters, Delivered, EventBus
from trueport.events.event import TOPICS, Event, Topic
from trueport.events.memory import MemoryBus
from trueport.events.streams import StreamsBus
from trueport.settings import Settings

__all__ = [
    "TOPICS",
    "Consumer",
    "DeadLetter",
    "DeadLetters",
    "Delivered",
    "Event",
    "EventBus",
    "MemoryBus",
    "StreamsBus",
    "Topic",
    "open_event_bus",
]


async def open_event_bus(settings: Settings) -> EventBus:
    """The bus this process uses (started); ``await bus.close()`` at shutdown."""
    bus: EventBus
    if settings.redis is None:
        bus = MemoryBus(max_deliveries=settings.events.max_deliveries)
    else:
        bus = StreamsBus.from_url(
            settings.redis,
            timeout_s=max(settings.redis_timeout_ms / 1000, 1.0),
            max_deliveries=settings.events.max_deliveries,
        )
    await bus.start()
    return bus
