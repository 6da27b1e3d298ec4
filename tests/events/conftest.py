"""``bus``: every test that takes it runs in-process (``[memory]``) and on Redis Streams (``[redis]``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from trueport.events import EventBus, open_event_bus
from trueport.settings import Settings


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    opened = await open_event_bus(Settings(redis=redis_url))
    yield opened
    await opened.close()
