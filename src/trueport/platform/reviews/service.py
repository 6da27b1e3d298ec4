"""What ``/reviews`` does: list a tenant's review items, assign them, record a person's verdict.

Review items are raised by the gateway's async detectors (``trueport.gateway.guard_queue``) and, when
the tenant's policy says so, by its inline ``flag`` findings (written by the recorder:
``trueport.usage.reviews``); the control plane never creates them. An item is due
``platform.review_sla_hours`` after it was raised. Assigning one to a member mails that member
(after the commit). A verdict is final: resolving a resolved item is a conflict, so two reviewers
acting at once cannot silently overwrite each other (the second learns of the first; the repository
resolves with a conditional UPDATE); once committed, it is announced as ``review.resolved`` on
``hitl.events.v1``. Resolved items are exported as labelled lines for retraining the detectors.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import ColumnElement, and_, or_

from trueport.db.models import ReviewItem, User
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.events.event import Event
from trueport.gateway.guard_queue import HITL_TOPIC
from trueport.jsonutil import JSONObject, dumps
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.mail.mailer import Mailer, MailError, OutgoingMail
from trueport.platform.mail.templates import alert_mail
from trueport.platform.members.repository import MemberRepo
from trueport.platform.pagination import PageQuery
from trueport.platform.reviews.repository import ReviewRepo
from trueport.platform.reviews.schemas import ExportFilter, ReviewAssign, ReviewFilter, ReviewResolve
from trueport.platform.tenancy import TenantContext

log = structlog.get_logger(__name__)

_EXPORT_BATCH = 500
_LABELS = {"confirmed": 1, "dismissed": 0}


def sla(platform: Platform) -> timedelta:
    """How long after it was raised an item is due."""
    return timedelta(hours=platform.settings.platform.review_sla_hours)


def conditions(
    filters: ReviewFilter, *, sla: timedelta = timedelta(hours=24), now: datetime | None = None
) -> list[ColumnElement[bool]]:
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
    if filters.assignee is not None:
        found.append(ReviewItem.assignee_id == filters.assignee)
    if filters.overdue is not None:
        raised_before = (now or datetime.now(UTC)) - sla  # due_at <= now
        overdue = and_(ReviewItem.status == "open", ReviewItem.created_at <= raised_before)
        found.append(
            overdue
            if filters.overdue
            else or_(ReviewItem.status != "open", ReviewItem.created_at > raised_before)
        )
    return found


async def list_reviews(
    work: UnitOfWork, ctx: TenantContext, query: PageQuery, filters: ReviewFilter, *, sla: timedelta
) -> tuple[list[ReviewItem], bool]:
    return await ReviewRepo(work.session, ctx.tenant_id).page(query, *conditions(filters, sla=sla))


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


async def assign(
    work: UnitOfWork, platform: Platform, ctx: TenantContext, review_id: str, body: ReviewAssign
) -> tuple[ReviewItem, OutgoingMail | None]:
    """Assign an open item to a member of the tenant (or unassign it), and the mail that tells the
    assignee (the caller sends it once committed). 400 ``not_a_member`` for anyone else, 409
    ``review_resolved`` once it is resolved. Changed through the ORM: the change is audited."""
    item = await find_review(work, ctx, review_id)
    if item.status != "open":
        raise ApiConflict(f"this review item is already {item.status}", code="review_resolved")
    if body.user_id is None:
        item.assignee_id, item.assigned_at = None, None
        await work.session.flush()
        return item, None
    membership = await MemberRepo(work.session, ctx.tenant_id).of_user(body.user_id)
    user = await work.session.get(User, body.user_id) if membership is not None else None
    if user is None:
        raise ApiInvalid("the assignee must be a member of this tenant", code="not_a_member")
    if item.assignee_id == user.id:  # assigning again changes nothing and mails no one
        return item, None
    item.assignee_id, item.assigned_at = user.id, datetime.now(UTC)
    await work.session.flush()
    assigner = ctx.principal.user
    due = item.created_at + sla(platform)
    mail = alert_mail(
        to=user.email,
        tenant_name=ctx.tenant.name,
        title="a guard finding was assigned to you for review",
        lines=[
            f"Finding: {item.detector} / {item.type} ({item.direction}), score {item.score:.2f}",
            f"Request: {item.request_id}",
            f"Review item: {item.id}",
            f"Due: {due.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"Assigned by: {(assigner.name or assigner.email) if assigner is not None else 'an operator'}",
        ],
        dashboard_url=f"{platform.settings.platform.public_url.rstrip('/')}/guard/reviews",
    )
    return item, mail


async def notify(mailer: Mailer, mail: OutgoingMail | None) -> bool:
    """True if the SMTP server took the mail; a failure is logged and is not fatal."""
    if mail is None:
        return False
    try:
        await mailer.send(mail)
    except MailError as exc:
        log.warning("review_assignment_mail_failed", reason=str(exc))
        return False
    return True


def resolved_event(item: ReviewItem) -> Event:
    """``review.resolved`` on ``hitl.events.v1``: the verdict, never the note (free text) nor any text."""
    data: JSONObject = {
        "kind": "review.resolved",
        "review_id": item.id,
        "request_id": item.request_id,
        "key_id": item.key_id,
        "direction": item.direction,
        "detector": item.detector,
        "type": item.type,
        "score": round(item.score, 4),
        "location": item.location,
        "policy_version": item.policy_version,
        "status": item.status,
        "resolved_by": item.resolved_by,
        "resolved_at": _iso(item.resolved_at),
        "assignee_id": item.assignee_id,
        "created_at": _iso(item.created_at),
    }
    return Event.new(HITL_TOPIC, item.tenant_id, data)


def publish_resolved(platform: Platform, item: ReviewItem) -> None:
    if platform.events is not None:
        platform.events.publish(HITL_TOPIC, resolved_event(item))


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def export_line(item: ReviewItem) -> bytes:
    """One resolved item as a labelled example: ``label`` 1 (confirmed: a real violation) or 0
    (dismissed: a false positive). Items keep no text, so neither does the line."""
    return (
        dumps(
            {
                "review_id": item.id,
                "request_id": item.request_id,
                "detector": item.detector,
                "type": item.type,
                "direction": item.direction,
                "location": item.location,
                "score": round(item.score, 4),
                "policy_version": item.policy_version,
                "verdict": item.status,
                "label": _LABELS[item.status],
                "source": f"review:{item.detector}",
                "resolved_at": _iso(item.resolved_at),
                "reviewer": item.resolved_by,
            }
        )
        + b"\n"
    )


async def export(platform: Platform, ctx: TenantContext, filters: ExportFilter) -> AsyncIterator[bytes]:
    """The tenant's resolved items, oldest verdict first, read in batches in their own session (the
    request's unit of work ends before the body streams)."""
    if filters.since is not None and filters.until is not None and filters.since >= filters.until:
        raise ApiInvalid("`since` must be before `until`", code="invalid_time_range")
    found: list[ColumnElement[bool]] = []
    if filters.detector is not None:
        found.append(ReviewItem.detector == filters.detector)
    if filters.since is not None:
        found.append(ReviewItem.resolved_at >= filters.since)
    if filters.until is not None:
        found.append(ReviewItem.resolved_at < filters.until)
    return _lines(platform, ctx.tenant_id, found)


async def _lines(
    platform: Platform, tenant_id: str, found: list[ColumnElement[bool]]
) -> AsyncIterator[bytes]:
    after: tuple[datetime, str] | None = None
    async with platform.sessions() as session:
        repo = ReviewRepo(session, tenant_id)
        while True:
            batch = await repo.resolved_batch(after, _EXPORT_BATCH, *found)
            if batch:
                yield b"".join(export_line(item) for item in batch if item.status in _LABELS)
            if len(batch) < _EXPORT_BATCH:
                return
            last = batch[-1]
            assert last.resolved_at is not None
            after = (last.resolved_at, last.id)
