"""``state``: every test that takes it runs on each backend, ``[memory]`` and ``[redis]`` (the session
Redis, emptied first)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from trueport.settings import Settings
from trueport.state import State, open_state


@pytest.fixture(params=["memory", "redis"])
async def state(request: pytest.FixtureRequest) -> AsyncIterator[State]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    opened = await open_state(Settings(redis=redis_url))
    assert opened.shared == (redis_url is not None)
    yield opened
    await opened.close()
