"""The control plane's request dependencies: the ``Platform`` (``trueport.platform.core``) and the unit
of work each request owns.

``open_platform`` builds the ``Platform`` in the app's lifespan; endpoints receive it and a
``UnitOfWork`` through FastAPI dependencies. Services flush; the unit of work commits once, after the
endpoint returned and before the response is sent, then announces configuration changes to the
gateways (``trueport.platform.live``).
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.audit.changes import ChangeTracker
from trueport.audit.events import ControlPlaneEvent
from trueport.audit.service import AuditTrail
from trueport.errors import ApiUnauthorized
from trueport.platform.core import Platform
from trueport.platform.inputs import check_column_values

__all__ = ["Platform", "PlatformDep", "UnitOfWork", "Work", "audit_action", "get_platform", "unit_of_work"]


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


@dataclass(slots=True)
class UnitOfWork:
    """One request's session. Call ``config_changed()`` when the change must reach the gateways."""

    session: AsyncSession
    changed_config: bool = field(default=False)

    def config_changed(self) -> None:
        self.changed_config = True


async def unit_of_work(platform: PlatformDep, request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's session; after the commit, each change it made becomes a durable audit event."""
    async with platform.sessions() as session:
        check_column_values(session)  # over-long or NUL strings: a 400 naming the field, not a 500
        work = UnitOfWork(session)
        tracker = ChangeTracker(session) if platform.audit is not None else None
        yield work
        generation = await platform.live.bump(session) if work.changed_config else None
        await session.commit()
    if tracker is not None and tracker.changes and platform.audit is not None:
        await _audit_changes(platform, platform.audit, request, tracker)
    if generation is not None:
        await platform.live.announce(generation)


async def _audit_changes(
    platform: Platform, audit: AuditTrail, request: Request, tracker: ChangeTracker
) -> None:
    """Append the events in order and wait for the last: the answer goes out once they are durable."""
    actor = _actor(platform, request)
    source_ip = request.client.host if request.client is not None else None
    events = [change.event(actor, source_ip) for change in tracker.changes]
    for event in events[:-1]:
        audit.append(event)
    await audit.record(events[-1])


async def audit_action(platform: Platform, request: Request, change: ControlPlaneEvent) -> None:
    """Audit an operator action that changes no row (``change`` with ``actor`` and ``source_ip`` left
    empty, filled here); the answer goes out once it is durable, like a row's change."""
    if platform.audit is None:
        return
    source_ip = request.client.host if request.client is not None else None
    await platform.audit.record(
        change.model_copy(update={"actor": _actor(platform, request), "source_ip": source_ip})
    )


def _actor(platform: Platform, request: Request) -> str:
    """Who made the change: ``admin-token``, ``user:<id>``, or ``anonymous`` (sign-up, sign-in, resets)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return "anonymous"
    admin_token = platform.settings.admin_token
    if admin_token is not None and hmac.compare_digest(
        token.encode(), admin_token.get_secret_value().encode()
    ):
        return "admin-token"
    try:
        return f"user:{platform.tokens.decode(token).user_id}"
    except ApiUnauthorized:
        return "anonymous"


Work = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
