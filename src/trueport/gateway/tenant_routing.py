"""Every tenant's own model routes and provider credentials, in memory, on top of the global ``Router``.

The data plane answers from a snapshot: ``reload()`` reads the two tables (one query each), opens
each credential's sealed API key with the ``Envelope`` and builds its provider adapter once; requests
then only look up dicts. It runs at start and whenever the configuration changes (the live-config
watcher calls it). A reload builds a new snapshot and swaps it in whole, so a request never sees half
of one.

Resolution, for a tenant and a model alias: the tenant's route of that alias if it has one (it
shadows the installation's alias of the same name, for that tenant only), else the config file's.
A route's provider is the tenant's credential of that name if it has one, else the configured
provider, and then only with a model the operator shares with tenants
(``platform.tenant_shared_models``): any other target is dropped with a warning, so a route saved
before the list was narrowed never runs another model on the operator's account. A credential that cannot be used (its secret does not open, its URL is no longer allowed)
is left out with a warning, and never silently replaced by a configured provider of the same name:
its targets are dropped, and a route left without targets answers "no target is available".

Tenants' upstreams are called through their own client session, guarded against SSRF at connection
time (``trueport.platform.credentials.egress``). Adapters hold no connection of their own, so
replacing one closes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
import structlog
from pydantic import ValidationError
from sqlalchemy import select

from trueport.db.engine import SessionFactory
from trueport.db.models import ProviderCredential, TenantRoute
from trueport.gateway.router import Router, Target, fallback_target
from trueport.platform.credentials.egress import upstream_session
from trueport.platform.credentials.envelope import Envelope, EnvelopeError
from trueport.platform.credentials.sealing import open_api_key
from trueport.platform.credentials.urls import UnsafeUrl, checked_shape
from trueport.providers.base import ProviderAdapter
from trueport.providers.registry import build_adapter
from trueport.settings import FallbackConfig, ProviderConfig, Settings, TargetConfig

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Route:
    """A tenant's model alias, resolved to targets."""

    targets: tuple[Target, ...]
    fallback: Target | None = None
    cache_ttl_s: float | None = None
    regions: frozenset[str] | None = None  # region pinning of the route; None: not pinned


@dataclass(frozen=True, slots=True)
class _Built:
    """A credential's adapter and what it was built from (rebuilt when that changes)."""

    stamp: tuple[object, ...]
    adapter: ProviderAdapter
    region: str | None = None


@dataclass(slots=True)
class _Snapshot:
    routes: dict[str, dict[str, Route]] = field(default_factory=dict)  # tenant id -> alias -> route
    aliases: dict[str, list[str]] = field(default_factory=dict)  # tenant id -> every alias it sees


_NO_ROUTES: dict[str, Route] = {}


async def read_tables(sessions: SessionFactory) -> tuple[Sequence[ProviderCredential], Sequence[TenantRoute]]:
    """Every tenant's credentials and routes (the data plane's two queries, outside any request)."""
    async with sessions() as session:
        credentials = (await session.execute(select(ProviderCredential))).scalars().all()
        routes = (await session.execute(select(TenantRoute))).scalars().all()
    return credentials, routes


class TenantRouting:
    def __init__(self, router: Router, settings: Settings):
        self.router = router
        self._allow_private = settings.private_upstreams_allowed
        self._shared = {
            provider: frozenset(models) for provider, models in settings.platform.tenant_shared_models.items()
        }
        self._snapshot = _Snapshot()
        self._built: dict[str, _Built] = {}  # credential id -> adapter
        self._sessions: SessionFactory | None = None
        self._envelope: Envelope | None = None
        self._http: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()

    async def start(self, sessions: SessionFactory, envelope: Envelope) -> None:
        """Open the tenants' client session and load the first snapshot."""
        self._sessions, self._envelope = sessions, envelope
        if self._http is None:
            self._http = upstream_session(allow_private=self._allow_private)
        await self.reload()

    async def close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.close()

    async def reload(self) -> None:
        """Read every tenant's routes and credentials again and swap them in."""
        if self._sessions is None or self._envelope is None or self._http is None:
            raise RuntimeError("TenantRouting.reload() before start()")
        async with self._lock:
            credentials, routes = await read_tables(self._sessions)
            built = self._build_adapters(credentials, self._envelope, self._http)
            snapshot = self._build_snapshot(credentials, routes, built)
            self._snapshot, self._built = snapshot, built
        log.info("tenant_routing_loaded", credentials=len(built), routes=len(routes))

    def targets(self, tenant_id: str, alias: str) -> tuple[Target, ...] | None:
        route = self._snapshot.routes.get(tenant_id, _NO_ROUTES).get(alias)
        return route.targets if route is not None else self.router.targets(alias)

    def fallback(self, tenant_id: str, alias: str) -> Target | None:
        route = self._snapshot.routes.get(tenant_id, _NO_ROUTES).get(alias)
        return route.fallback if route is not None else self.router.fallback(alias)

    def cache_ttl_s(self, tenant_id: str, alias: str) -> float | None:
        route = self._snapshot.routes.get(tenant_id, _NO_ROUTES).get(alias)
        return route.cache_ttl_s if route is not None else self.router.cache_ttl_s(alias)

    def regions(self, tenant_id: str, alias: str) -> frozenset[str] | None:
        """The regions the alias is pinned to as this tenant sees it (its own route's, else the file's)."""
        route = self._snapshot.routes.get(tenant_id, _NO_ROUTES).get(alias)
        return route.regions if route is not None else self.router.regions(alias)

    def default_max_tokens(self, tenant_id: str, alias: str) -> int | None:
        """A config-file route's ``default_max_tokens`` (a tenant's own routes have none yet)."""
        if alias in self._snapshot.routes.get(tenant_id, _NO_ROUTES):
            return None
        return self.router.default_max_tokens(alias)

    def aliases(self, tenant_id: str) -> list[str]:
        """Every alias the tenant can call: the installation's and its own, sorted."""
        aliases = self._snapshot.aliases.get(tenant_id)
        return aliases if aliases is not None else self.router.aliases

    def _build_adapters(
        self, credentials: Sequence[ProviderCredential], envelope: Envelope, http: aiohttp.ClientSession
    ) -> dict[str, _Built]:
        built: dict[str, _Built] = {}
        for row in credentials:
            stamp = (row.name, row.type, row.base_url, row.api_version, row.region, row.ciphertext)
            previous = self._built.get(row.id)
            if previous is not None and previous.stamp == stamp:
                built[row.id] = previous
                continue
            adapter = self._adapter(row, envelope, http)
            if adapter is not None:
                built[row.id] = _Built(stamp, adapter, row.region)
        return built

    def _adapter(
        self, row: ProviderCredential, envelope: Envelope, http: aiohttp.ClientSession
    ) -> ProviderAdapter | None:
        """The credential's adapter, or None (and a warning that never shows the secret)."""
        try:
            checked_shape(row.base_url, allow_private=self._allow_private)
            config = ProviderConfig.model_validate(
                {
                    "type": row.type,
                    "base_url": row.base_url,
                    "api_key": open_api_key(envelope, row),
                    "api_version": row.api_version,
                    "region": row.region,
                }
            )
        except (UnsafeUrl, EnvelopeError, ValidationError) as exc:
            reason = exc.code if isinstance(exc, EnvelopeError) else type(exc).__name__
            log.warning(
                "tenant_credential_unusable", tenant_id=row.tenant_id, credential_id=row.id, reason=reason
            )
            return None
        return build_adapter(row.name, config, http)

    def _build_snapshot(
        self,
        credentials: Sequence[ProviderCredential],
        routes: Sequence[TenantRoute],
        built: dict[str, _Built],
    ) -> _Snapshot:
        owned: dict[str, dict[str, str]] = {}  # tenant id -> credential name -> credential id
        for credential in credentials:
            owned.setdefault(credential.tenant_id, {})[credential.name] = credential.id
        snapshot = _Snapshot()
        for row in routes:
            route = self._route(row, owned.get(row.tenant_id, {}), built)
            if route is not None:
                snapshot.routes.setdefault(row.tenant_id, {})[row.alias] = route
        for tenant_id, tenant_routes in snapshot.routes.items():
            snapshot.aliases[tenant_id] = sorted({*self.router.aliases, *tenant_routes})
        return snapshot

    def _route(self, row: TenantRoute, owned: dict[str, str], built: dict[str, _Built]) -> Route | None:
        def target(provider: str, model: str) -> Target | None:
            credential_id = owned.get(provider)
            if credential_id is not None:  # the tenant's own, even if unusable: never the operator's
                entry = built.get(credential_id)
                found = (
                    Target(provider, model, entry.adapter, credential_id, region=entry.region)
                    if entry
                    else None
                )
            elif model in self._shared.get(provider, ()):
                adapter = self.router.adapter(provider)
                region = self.router.provider_region(provider)
                found = Target(provider, model, adapter, region=region) if adapter is not None else None
            else:  # the operator's account, with a model not shared with tenants
                log.warning("tenant_route_target_not_shared", tenant_id=row.tenant_id, alias=row.alias)
                return None
            if found is None:
                log.warning(
                    "tenant_route_target_unavailable",
                    tenant_id=row.tenant_id,
                    alias=row.alias,
                    provider=provider,
                )
            return found

        try:
            configs = [TargetConfig.model_validate(value) for value in row.targets]
            fallback = FallbackConfig.model_validate(row.fallback) if row.fallback is not None else None
        except ValidationError:
            log.warning("tenant_route_invalid", tenant_id=row.tenant_id, alias=row.alias)
            return None
        targets = tuple(t for t in (target(c.provider, c.model) for c in configs) if t is not None)
        return Route(
            targets=targets,
            fallback=fallback_target(fallback, target) if fallback is not None else None,
            cache_ttl_s=row.cache_ttl_s,
            regions=frozenset(row.regions) if row.regions is not None else None,
        )
