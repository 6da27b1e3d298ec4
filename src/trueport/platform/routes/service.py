"""The rules of a tenant's model routes: unique aliases, and only providers and models the tenant may use.

A target's provider is one of the tenant's own credentials (by name; any model: it is the tenant's
account), or an installation provider that the operator shares with tenants, and then only with a
model listed for it in ``platform.tenant_shared_models`` (exact names: no other model, and no
emulator directive such as ``gpt-4o+delay=1``, may run on the operator's account). A tenant's
credential of the same name as a configured provider takes precedence, as the gateway resolves it
(``trueport.gateway.tenant_routing``, which applies the same allow-list again when serving, so a
route saved before the operator narrowed the list is not served outside it).
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
        self._shared = platform.settings.platform.tenant_shared_models
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
        owned = await CredentialRepository(self._work.session, self._tenant_id).names()
        pairs = [(provider, model) for provider, model in body.pairs() if provider not in owned]
        unknown = sorted({provider for provider, _ in pairs if provider not in self._shared})
        if unknown:
            raise ApiInvalid(
                f"unknown provider {', '.join(unknown)}: name one of your credentials or a provider "
                "the operator shares with tenants",
                code="unknown_provider",
            )
        for provider, model in pairs:
            if model not in self._shared[provider]:
                allowed = ", ".join(self._shared[provider]) or "none"
                raise ApiInvalid(
                    f"the model {model!r} is not shared on provider {provider!r} (shared: {allowed}); "
                    "add a credential of your own to use other models",
                    code="model_not_shared",
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
    row.regions = sorted(set(body.regions)) if body.regions is not None else None
