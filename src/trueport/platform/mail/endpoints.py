"""HTTP endpoints of ``/admin/outbox``: the development outbox (``trueport.platform.mail.outbox``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from trueport.platform.context import PlatformDep
from trueport.platform.mail.schemas import OutboxMailOut, OutboxOut
from trueport.platform.principal import PlatformAdmin

router = APIRouter(prefix="/admin/outbox", tags=["admin"])


@router.get(
    "",
    summary="Mail kept instead of sent (platform admins)",
    description="In development without an SMTP server, invitations and password resets are kept "
    "here (the newest 200) for platform admins to read; elsewhere `enabled` is false and `data` empty.",
)
async def read_outbox(
    _: PlatformAdmin,
    platform: PlatformDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Mails to return, newest first.")] = 50,
) -> OutboxOut:
    if platform.outbox is None:
        return OutboxOut(enabled=False, data=[])
    return OutboxOut(
        enabled=True, data=[OutboxMailOut.of(mail) for mail in await platform.outbox.recent(limit)]
    )
