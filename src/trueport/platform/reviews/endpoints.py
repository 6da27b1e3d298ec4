"""HTTP endpoints of ``/reviews``: findings of async detectors, for a person to confirm or dismiss."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.reviews import service
from trueport.platform.reviews.schemas import ReviewFilter, ReviewOut, ReviewResolve, review_filter
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/reviews", tags=["reviews"])

Reader = Annotated[TenantContext, Allowed(Permission.REVIEWS_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.REVIEWS_WRITE)]

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The item is already resolved (`review_resolved`)"}
}


@router.get(
    "",
    summary="List review items",
    description="Oldest first within the filters. Items are raised by detectors the tenant's policy "
    "runs in `mode: async`; they name the request and the finding, never its text.",
)
async def list_reviews(
    ctx: Reader,
    work: Work,
    q: Annotated[PageQuery, Depends(page_query)],
    filters: Annotated[ReviewFilter, Depends(review_filter)],
) -> Page[ReviewOut]:
    rows, more = await service.list_reviews(work, ctx, q, filters)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[ReviewOut.of(row) for row in rows], next_cursor=cursor)


@router.get("/{review_id}", summary="Read a review item")
async def read_review(ctx: Reader, work: Work, review_id: str) -> ReviewOut:
    return ReviewOut.of(await service.find_review(work, ctx, review_id))


@router.post(
    "/{review_id}/resolve",
    summary="Resolve a review item",
    description="Confirm (a real violation) or dismiss (a false positive) an open item. A verdict is "
    "final: resolving a resolved item is 409.",
    responses=_CONFLICT,
)
async def resolve_review(ctx: Writer, work: Work, review_id: str, body: ReviewResolve) -> ReviewOut:
    return ReviewOut.of(await service.resolve(work, ctx, review_id, body))
