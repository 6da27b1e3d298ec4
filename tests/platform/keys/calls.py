"""Calls on the data plane with a virtual key, and waiting for a change to reach the gateway."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.platform.harness import ControlPlaneHarness

from trueport.db.models import Tenant, User


@dataclass
class Acme:
    """A tenant, its owner and the owner's request headers."""

    tenant: Tenant
    owner: User
    headers: dict[str, str]


async def chat_status(platform: ControlPlaneHarness, secret: str, model: str = "oa") -> int:
    """The data plane's status for one small chat completion with ``secret``."""
    response = await platform.client.post(
        "/v1/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {secret}"},
    )
    return response.status_code


async def eventually(check: Callable[[], Awaitable[bool]], *, within_s: float = 5.0) -> None:
    """Wait until ``check()`` is true; fail after ``within_s``."""
    deadline = time.monotonic() + within_s
    while not await check():
        assert time.monotonic() < deadline, f"not true within {within_s} s"
        await asyncio.sleep(0.1)
