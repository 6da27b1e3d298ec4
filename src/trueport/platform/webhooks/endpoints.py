"""HTTP endpoints of ``/webhooks``: subscriptions, their deliveries, and the dead-letter queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from trueport.db.models import WebhookDelivery
from trueport.platform.context import PlatformDep, Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.tenancy import Allowed, TenantContext
from trueport.platform.webhooks.schemas import (
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)
from trueport.platform.webhooks.service import WebhookService

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

Reader = Annotated[TenantContext, Allowed(Permission.WEBHOOKS_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.WEBHOOKS_WRITE)]
Paging = Annotated[PageQuery, Depends(page_query)]


def _deliveries(rows: list[WebhookDelivery], more: bool) -> Page[DeliveryOut]:
    out = [DeliveryOut.of(row) for row in rows]
    cursor = encode_cursor(out[-1].created_at, out[-1].id) if more and out else None
    return Page(data=out, next_cursor=cursor)


@router.get("", summary="List the tenant's webhook subscriptions (never their secrets)")
async def list_webhooks(ctx: Reader, work: Work, platform: PlatformDep, q: Paging) -> Page[WebhookOut]:
    rows, more = await WebhookService(work, ctx.tenant_id, platform).page(q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(data=[WebhookOut.of(row) for row in rows], next_cursor=cursor)


@router.post("", status_code=201, summary="Subscribe a URL to topics; the signing secret is shown once")
async def create_webhook(
    body: WebhookCreate, ctx: Writer, work: Work, platform: PlatformDep
) -> WebhookCreated:
    row, secret = await WebhookService(work, ctx.tenant_id, platform).create(body)
    return WebhookCreated(**WebhookOut.of(row).model_dump(), secret=secret)


# Before "/{webhook_id}", which would otherwise take "dead-letters" for an id.
@router.get("/dead-letters", summary="The dead-letter queue: deliveries that failed every attempt")
async def list_dead_letters(ctx: Reader, work: Work, platform: PlatformDep, q: Paging) -> Page[DeliveryOut]:
    rows, more = await WebhookService(work, ctx.tenant_id, platform).dead_letters(q)
    return _deliveries(rows, more)


@router.post(
    "/dead-letters/{delivery_id}/replay",
    status_code=202,
    summary="Queue a dead delivery again (attempts start over; 409 delivery_not_dead otherwise)",
)
async def replay_dead_letter(delivery_id: str, ctx: Writer, work: Work, platform: PlatformDep) -> DeliveryOut:
    return DeliveryOut.of(await WebhookService(work, ctx.tenant_id, platform).replay(delivery_id))


@router.get("/{webhook_id}", summary="One webhook subscription")
async def get_webhook(webhook_id: str, ctx: Reader, work: Work, platform: PlatformDep) -> WebhookOut:
    return WebhookOut.of(await WebhookService(work, ctx.tenant_id, platform).get(webhook_id))


@router.patch("/{webhook_id}", summary="Change a webhook's URL, topics or description, or pause it")
async def update_webhook(
    webhook_id: str, body: WebhookUpdate, ctx: Writer, work: Work, platform: PlatformDep
) -> WebhookOut:
    return WebhookOut.of(await WebhookService(work, ctx.tenant_id, platform).update(webhook_id, body))


@router.delete(
    "/{webhook_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a webhook and its deliveries",
)
async def delete_webhook(webhook_id: str, ctx: Writer, work: Work, platform: PlatformDep) -> Response:
    await WebhookService(work, ctx.tenant_id, platform).delete(webhook_id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", summary="A webhook's deliveries, oldest first")
async def list_deliveries(
    webhook_id: str, ctx: Reader, work: Work, platform: PlatformDep, q: Paging
) -> Page[DeliveryOut]:
    rows, more = await WebhookService(work, ctx.tenant_id, platform).delivery_page(webhook_id, q)
    return _deliveries(rows, more)
