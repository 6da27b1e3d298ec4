"""What ``/reviews`` does: list a tenant's review items and record a person's verdict on one.

Review items are raised by the gateway's async detectors (``trueport.gateway.guard_queue``); the
control plane never creates them. A verdict is final: resolving a resolved item is a conflict, so
two reviewers acting at once cannot silently overwrite each other (the second learns of the first;
the repository resolves with a conditional UPDATE).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement

from trueport.db.models import ReviewItem
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.platform.context import UnitOfWork
from trueport.platform.pagination import PageQuery
from trueport.platform.reviews.repository import ReviewRepo
from trueport.platform.reviews.schemas import ReviewFilter, ReviewResolve
from trueport.platform.tenancy import TenantContext


def conditions(filters: ReviewFilter) -> list[ColumnElement[bool]]:
    if filters.since is not None and filters.until is not None and filters.since >= filters.until:
        raise ApiInvalid("`since` must be before `until`", code="invalid_time_range")
    found: list[ColumnElement[bool]] = []
    if filters.status is not None:
        found.append(ReviewItem.status == filters.status)
    if filters.detector is not None:
        found.append(ReviewItem.detector == filters.detector)
    if filters.since is not None:
        found.append(ReviewItem.created_at >= filters.since)
    if filters.until is not None:
        found.append(ReviewItem.created_at < filters.until)
    return found


async def list_reviews(
    work: UnitOfWork, ctx: TenantContext, query: PageQuery, filters: ReviewFilter
) -> tuple[list[ReviewItem], bool]:
    return await ReviewRepo(work.session, ctx.tenant_id).page(query, *conditions(filters))


async def find_review(work: UnitOfWork, ctx: TenantContext, review_id: str) -> ReviewItem:
    try:
        uuid.UUID(review_id)
    except ValueError:
        raise ApiNotFound("no such review item", code="review_not_found") from None
    item = await ReviewRepo(work.session, ctx.tenant_id).get(review_id)
    if item is None:
        raise ApiNotFound("no such review item", code="review_not_found")
    return item


async def resolve(work: UnitOfWork, ctx: TenantContext, review_id: str, body: ReviewResolve) -> ReviewItem:
    """Confirm or dismiss an open item; 409 ``review_resolved`` if someone already did."""
    item = await find_review(work, ctx, review_id)
    repo = ReviewRepo(work.session, ctx.tenant_id)
    resolved = await repo.resolve_open(
        item.id, status=body.status, note=body.note, user_id=ctx.user_id, at=datetime.now(UTC)
    )
    if not resolved:
        raise ApiConflict(f"this review item is already {item.status}", code="review_resolved")
    await work.session.refresh(item)
    return item
