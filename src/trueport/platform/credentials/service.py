"""The rules of a tenant's provider credentials: safe URLs, sealed keys, unique names, no dangling routes.

The API key is sealed before the row is written and is opened only by the gateways; it is never
returned, and never put in a log line or an error message. Moving a credential to another URL or
provider type needs its key again (400 ``api_key_required``): whoever may edit a credential must not be
able to send its stored key to a server of their choosing.
"""

from __future__ import annotations

import structlog
from sqlalchemy.exc import IntegrityError

from trueport.db.models import ProviderCredential, new_id, utcnow
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.platform.context import Platform, UnitOfWork
from trueport.platform.credentials.repository import CredentialRepository
from trueport.platform.credentials.schemas import CredentialCreate, CredentialUpdate
from trueport.platform.credentials.sealing import seal_api_key
from trueport.platform.credentials.urls import UnsafeUrl, check_base_url
from trueport.platform.pagination import PageQuery
from trueport.platform.routes.repository import RouteRepository

log = structlog.get_logger(__name__)


class CredentialService:
    def __init__(self, work: UnitOfWork, tenant_id: str, platform: Platform):
        self._work = work
        self._tenant_id = tenant_id
        self._envelope = platform.envelope
        self._allow_private = platform.settings.private_upstreams_allowed
        self.repo = CredentialRepository(work.session, tenant_id)

    async def page(self, query: PageQuery) -> tuple[list[ProviderCredential], bool]:
        return await self.repo.page(query)

    async def get(self, credential_id: str) -> ProviderCredential:
        row = await self.repo.get(credential_id)
        if row is None:
            raise ApiNotFound("no such credential")
        return row

    async def create(self, body: CredentialCreate) -> ProviderCredential:
        base_url = await self._checked_url(body.base_url)
        if await self.repo.by_name(body.name) is not None:
            raise ApiConflict(f"a credential named {body.name!r} exists", code="duplicate_name")
        row = ProviderCredential(
            id=new_id(),
            tenant_id=self._tenant_id,
            name=body.name,
            type=body.type,
            base_url=base_url,
            api_version=body.api_version,
            region=body.region,
        )
        seal_api_key(self._envelope, row, body.api_key)
        self.repo.add(row)
        await self._flush(body.name)
        self._work.config_changed()
        log.info("credential_created", credential_id=row.id, type=row.type)
        return row

    async def update(self, credential_id: str, body: CredentialUpdate) -> ProviderCredential:
        row = await self.get(credential_id)
        sent = body.model_fields_set
        for name in ("type", "base_url", "api_key"):
            if name in sent and getattr(body, name) is None:
                raise ApiInvalid(f"{name} cannot be null", code="invalid_field")
        base_url = await self._checked_url(body.base_url) if body.base_url is not None else row.base_url
        kind = body.type if body.type is not None else row.type
        moved = [name for name, new in (("base_url", base_url), ("type", kind)) if new != getattr(row, name)]
        if moved and body.api_key is None:
            raise ApiInvalid(
                f"changing {' and '.join(moved)} needs the credential's api_key again in the same request",
                code="api_key_required",
            )
        api_version = body.api_version if "api_version" in sent else row.api_version
        if api_version is None and kind == "azure_openai":
            raise ApiInvalid("azure_openai credentials need api_version", code="invalid_field")
        row.type, row.base_url, row.api_version = kind, base_url, api_version
        if "region" in sent:
            row.region = body.region
        if body.api_key is not None:  # the seal is bound to the URL: always sealed after it is set
            seal_api_key(self._envelope, row, body.api_key)
        row.updated_at = utcnow()
        await self._flush(row.name)
        self._work.config_changed()
        log.info("credential_updated", credential_id=row.id, fields=sorted(sent))
        return row

    async def delete(self, credential_id: str) -> None:
        row = await self.get(credential_id)
        aliases = await RouteRepository(self._work.session, self._tenant_id).using_provider(row.name)
        if aliases:
            raise ApiConflict(
                f"the routes {', '.join(aliases)} use this credential: change or delete them first",
                code="credential_in_use",
            )
        await self.repo.delete(row)
        await self._work.session.flush()
        self._work.config_changed()
        log.info("credential_deleted", credential_id=row.id)

    async def _checked_url(self, url: str) -> str:
        try:
            return await check_base_url(url, allow_private=self._allow_private)
        except UnsafeUrl as exc:
            raise ApiInvalid(str(exc), code="unsafe_base_url") from None

    async def _flush(self, name: str) -> None:
        try:
            await self._work.session.flush()
        except IntegrityError:  # a concurrent create with the same name won the race
            raise ApiConflict(f"a credential named {name!r} exists", code="duplicate_name") from None
