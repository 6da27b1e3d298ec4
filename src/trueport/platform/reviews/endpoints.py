"""HTTP endpoints of ``/reviews``: guard findings for a person to confirm or dismiss."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from trueport.platform.api_errors import ErrorBody
from trueport.platform.context import PlatformDep, Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.reviews import service
from trueport.platform.reviews.schemas import (
    ExportFilter,
    ReviewAssign,
    ReviewAssigned,
    ReviewFilter,
    ReviewOut,
    ReviewResolve,
    export_filter,
    review_filter,
)
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
    "runs in `mode: async`, and by inline `flag` findings its policy sends to review (`review`); they "
    "name the request and the finding, never its text. `overdue=true`: open items past `due_at`.",
)
async def list_reviews(
    ctx: Reader,
    work: Work,
    platform: PlatformDep,
    q: Annotated[PageQuery, Depends(page_query)],
    filters: Annotated[ReviewFilter, Depends(review_filter)],
) -> Page[ReviewOut]:
    sla = service.sla(platform)
    rows, more = await service.list_reviews(work, ctx, q, filters, sla=sla)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(data=[ReviewOut.of(row, sla) for row in rows], next_cursor=cursor)


@router.get(
    "/export",
    summary="Export resolved review items as labelled data",
    description="Every resolved item of the tenant (oldest verdict first; `since`/`until` on `resolved_at`) "
    "as JSON Lines for retraining the detectors: `label` 1 for `confirmed` (a real violation), 0 for "
    "`dismissed` (a false positive), with the detector, type, where, the reviewer and when. Items keep "
    "no text, so neither do the lines: join them on `request_id` with texts you hold.",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/jsonl": {}}, "description": "One item per line, streamed."}},
)
async def export_reviews(
    ctx: Reader, platform: PlatformDep, filters: Annotated[ExportFilter, Depends(export_filter)]
) -> StreamingResponse:
    lines = await service.export(platform, ctx, filters)
    return StreamingResponse(
        lines,
        media_type="application/jsonl",
        headers={
            "Content-Disposition": f'attachment; filename="reviews-{ctx.tenant.slug}.jsonl"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/{review_id}", summary="Read a review item")
async def read_review(ctx: Reader, work: Work, platform: PlatformDep, review_id: str) -> ReviewOut:
    return ReviewOut.of(await service.find_review(work, ctx, review_id), service.sla(platform))


@router.post(
    "/{review_id}/assign",
    summary="Assign a review item",
    description="Give an open item to a member of the tenant (400 `not_a_member` for anyone else), who is "
    "mailed about it once the assignment is committed; `user_id: null` unassigns it. 409 once resolved.",
    responses=_CONFLICT,
)
async def assign_review(
    ctx: Writer, work: Work, platform: PlatformDep, review_id: str, body: ReviewAssign
) -> ReviewAssigned:
    item, mail = await service.assign(work, platform, ctx, review_id, body)
    # Committed before mailing, as invitations are: no transaction stays open while SMTP answers.
    await work.session.commit()
    sent = await service.notify(platform.mailer, mail)
    return ReviewAssigned(**ReviewOut.of(item, service.sla(platform)).model_dump(), email_sent=sent)


@router.post(
    "/{review_id}/resolve",
    summary="Resolve a review item",
    description="Confirm (a real violation) or dismiss (a false positive) an open item. A verdict is "
    "final: resolving a resolved item is 409. Once committed, it is published as `review.resolved` on "
    "`hitl.events.v1` (webhooks subscribed to that topic receive it).",
    responses=_CONFLICT,
)
async def resolve_review(
    ctx: Writer, work: Work, platform: PlatformDep, review_id: str, body: ReviewResolve
) -> ReviewOut:
    item = await service.resolve(work, ctx, review_id, body)
    await work.session.commit()
    service.publish_resolved(platform, item)
    return ReviewOut.of(item, service.sla(platform))
