"""HTTP endpoints of ``/admin/dead-letters`` (see ARCHITECTURE.md, "Dead letters")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from trueport.platform.context import Work
from trueport.platform.dead_letters.repository import list_dead_letters
from trueport.platform.dead_letters.schemas import DeadLetterOut, Kind
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.principal import PlatformAdmin

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get(
    "/dead-letters",
    summary="Request records and audit events the writers could not store (platform admins)",
    description="Each with the database's error and the item as the writer had it; oldest first. "
    "Counted by `trueport_dead_letters_total{kind}`.",
)
async def get_dead_letters(
    _: PlatformAdmin,
    work: Work,
    q: Annotated[PageQuery, Depends(page_query)],
    kind: Annotated[Kind | None, Query(description="Only this kind.")] = None,
) -> Page[DeadLetterOut]:
    rows, more = await list_dead_letters(work.session, q, kind)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[DeadLetterOut.of(row) for row in rows], next_cursor=cursor)
