"""The rules of a tenant's webhooks: safe URLs (checked again at each delivery), sealed secrets shown
once, and the dead-letter queue's replay.
"""

from __future__ import annotations

import structlog

from trueport.db.models import WebhookDelivery, WebhookSubscription, new_id, utcnow
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.credentials.urls import UnsafeUrl
from trueport.platform.pagination import PageQuery
from trueport.platform.webhooks.repository import DeliveryRepository, WebhookRepository
from trueport.platform.webhooks.schemas import WebhookCreate, WebhookUpdate
from trueport.platform.webhooks.sealing import seal_secret
from trueport.platform.webhooks.signing import new_secret
from trueport.platform.webhooks.urls import check_webhook_url

log = structlog.get_logger(__name__)


class WebhookService:
    def __init__(self, work: UnitOfWork, tenant_id: str, platform: Platform):
        self._work = work
        self._tenant_id = tenant_id
        self._envelope = platform.envelope
        self._allow_private = platform.settings.private_upstreams_allowed
        self.repo = WebhookRepository(work.session, tenant_id)
        self.deliveries = DeliveryRepository(work.session, tenant_id)

    async def page(self, query: PageQuery) -> tuple[list[WebhookSubscription], bool]:
        return await self.repo.page(query)

    async def get(self, webhook_id: str) -> WebhookSubscription:
        row = await self.repo.get(webhook_id)
        if row is None:
            raise ApiNotFound("no such webhook")
        return row

    async def create(self, body: WebhookCreate) -> tuple[WebhookSubscription, str]:
        """The new subscription and its signing secret (the one time it is readable)."""
        row = WebhookSubscription(
            id=new_id(),
            tenant_id=self._tenant_id,
            url=await self._checked_url(body.url),
            topics=list(body.topics),
            description=body.description,
            active=True,
        )
        secret = new_secret()
        seal_secret(self._envelope, row, secret)
        self.repo.add(row)
        await self._work.session.flush()
        log.info("webhook_created", webhook_id=row.id, topics=row.topics)
        return row, secret

    async def update(self, webhook_id: str, body: WebhookUpdate) -> WebhookSubscription:
        row = await self.get(webhook_id)
        sent = body.model_fields_set
        for name in sorted(sent):
            if getattr(body, name) is None:
                raise ApiInvalid(f"{name} cannot be null", code="invalid_field")
        if body.url is not None:
            row.url = await self._checked_url(body.url)
        if body.topics is not None:
            row.topics = list(body.topics)
        if body.description is not None:
            row.description = body.description
        if body.active is not None:
            row.active = body.active
        row.updated_at = utcnow()
        await self._work.session.flush()
        log.info("webhook_updated", webhook_id=row.id, fields=sorted(sent))
        return row

    async def delete(self, webhook_id: str) -> None:
        """Deletes its deliveries too (dead letters included): they could no longer be sent."""
        row = await self.get(webhook_id)
        for delivery in await self.deliveries.all(WebhookDelivery.subscription_id == row.id):
            await self.deliveries.delete(delivery)
        await self.repo.delete(row)
        await self._work.session.flush()
        log.info("webhook_deleted", webhook_id=row.id)

    async def delivery_page(self, webhook_id: str, query: PageQuery) -> tuple[list[WebhookDelivery], bool]:
        row = await self.get(webhook_id)
        return await self.deliveries.of_subscription(row.id, query)

    async def dead_letters(self, query: PageQuery) -> tuple[list[WebhookDelivery], bool]:
        return await self.deliveries.dead(query)

    async def replay(self, delivery_id: str) -> WebhookDelivery:
        """Queue a dead delivery again, with a fresh set of attempts; the same payload and event id."""
        delivery = await self.deliveries.get(delivery_id)
        if delivery is None:
            raise ApiNotFound("no such delivery")
        if delivery.status != "dead":
            raise ApiConflict("only dead deliveries can be replayed", code="delivery_not_dead")
        subscription = await self.get(delivery.subscription_id)
        if not subscription.active:
            raise ApiConflict("the webhook is paused: set active to true first", code="webhook_inactive")
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = utcnow()
        delivery.last_error = None
        delivery.last_status = None
        await self._work.session.flush()
        log.info("webhook_delivery_replayed", delivery_id=delivery.id, webhook_id=subscription.id)
        return delivery

    async def _checked_url(self, url: str) -> str:
        try:
            return await check_webhook_url(url, allow_private=self._allow_private)
        except UnsafeUrl as exc:
            raise ApiInvalid(str(exc), code="unsafe_url") from None
