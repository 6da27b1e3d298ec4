"""Queries on a tenant's webhook subscriptions and deliveries (always scoped to the tenant)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from trueport.db.models import WebhookDelivery, WebhookSubscription
from trueport.platform.scoping import ScopedRepository

if TYPE_CHECKING:  # (the webhook deliverer runs in serving processes: FastAPI is not imported there)
    from trueport.platform.pagination import PageQuery


class WebhookRepository(ScopedRepository[WebhookSubscription]):
    model = WebhookSubscription

    async def subscribed(self, topic: str) -> list[WebhookSubscription]:
        """The active subscriptions that want ``topic`` (topics are a JSON list: filtered here)."""
        rows: Sequence[WebhookSubscription] = await self.all(WebhookSubscription.active.is_(True))
        return [row for row in rows if topic in row.topics]

    async def wrapped_by_other_keys(
        self, active: str, *, after: str, limit: int
    ) -> Sequence[WebhookSubscription]:
        """Up to ``limit`` subscriptions (by id, after ``after``) whose secret's data key another master
        key wraps; locked for update (PostgreSQL), like the credentials' (master-key rotation)."""
        result = await self.session.execute(
            self.select()
            .where(WebhookSubscription.master_key_id != active, WebhookSubscription.id > after)
            .order_by(WebhookSubscription.id)
            .limit(limit)
            .with_for_update()
        )
        return result.scalars().all()


class DeliveryRepository(ScopedRepository[WebhookDelivery]):
    model = WebhookDelivery

    async def of_subscription(
        self, subscription_id: str, query: PageQuery
    ) -> tuple[list[WebhookDelivery], bool]:
        return await self.page(query, WebhookDelivery.subscription_id == subscription_id)

    async def dead(self, query: PageQuery) -> tuple[list[WebhookDelivery], bool]:
        return await self.page(query, WebhookDelivery.status == "dead")
