"""The rules of a tenant's model routes: unique aliases, and only providers the tenant may use.

A target's provider is one of the tenant's own credentials (by name) or a provider of the
installation's config file; a tenant's credential of the same name as a configured provider takes
precedence, as the gateway resolves it (``trueport.gateway.tenant_routing``).
"""

from __future__ import annotations

import structlog
from sqlalchemy.exc import IntegrityError

from trueport.db.models import TenantRoute, utcnow
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.credentials.repository import CredentialRepository
from trueport.platform.pagination import PageQuery
from trueport.platform.routes.repository import RouteRepository
from trueport.platform.routes.schemas import RouteIn

log = structlog.get_logger(__name__)


class RouteService:
    def __init__(self, work: UnitOfWork, tenant_id: str, platform: Platform):
        self._work = work
        self._tenant_id = tenant_id
        self._global_providers = frozenset(platform.settings.providers)
        self.repo = RouteRepository(work.session, tenant_id)

    async def page(self, query: PageQuery) -> tuple[list[TenantRoute], bool]:
        return await self.repo.page(query)

    async def get(self, route_id: str) -> TenantRoute:
        row = await self.repo.get(route_id)
        if row is None:
            raise ApiNotFound("no such route")
        return row

    async def create(self, body: RouteIn) -> TenantRoute:
        await self._check(body, current=None)
        row = self.repo.add(TenantRoute(tenant_id=self._tenant_id, alias=body.alias, targets=[]))
        _fill(row, body)
        await self._flush(body.alias)
        self._work.config_changed()
        log.info("route_created", route_id=row.id, alias=row.alias)
        return row

    async def replace(self, route_id: str, body: RouteIn) -> TenantRoute:
        row = await self.get(route_id)
        await self._check(body, current=row)
        _fill(row, body)
        row.updated_at = utcnow()
        await self._flush(body.alias)
        self._work.config_changed()
        log.info("route_replaced", route_id=row.id, alias=row.alias)
        return row

    async def delete(self, route_id: str) -> None:
        row = await self.get(route_id)
        await self.repo.delete(row)
        await self._work.session.flush()
        self._work.config_changed()
        log.info("route_deleted", route_id=row.id, alias=row.alias)

    async def _check(self, body: RouteIn, *, current: TenantRoute | None) -> None:
        known = (
            self._global_providers | await CredentialRepository(self._work.session, self._tenant_id).names()
        )
        unknown = sorted({name for name in body.providers() if name not in known})
        if unknown:
            raise ApiInvalid(
                f"unknown provider {', '.join(unknown)}: name one of your credentials or a configured provider",
                code="unknown_provider",
            )
        same = await self.repo.by_alias(body.alias)
        if same is not None and (current is None or same.id != current.id):
            raise ApiConflict(f"a route for {body.alias!r} exists", code="duplicate_alias")

    async def _flush(self, alias: str) -> None:
        try:
            await self._work.session.flush()
        except IntegrityError:  # a concurrent write with the same alias won the race
            raise ApiConflict(f"a route for {alias!r} exists", code="duplicate_alias") from None


def _fill(row: TenantRoute, body: RouteIn) -> None:
    row.alias = body.alias
    row.targets = [target.model_dump() for target in body.targets]
    row.fallback = body.fallback.model_dump(exclude_none=True) if body.fallback is not None else None
    row.cache_ttl_s = body.cache_ttl_s
