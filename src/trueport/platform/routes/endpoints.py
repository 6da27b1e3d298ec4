"""HTTP endpoints of ``/routes``: a tenant's own model aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from trueport.platform.context import PlatformDep, Work
from trueport.platform.pagination import Page, PageQuery, encode_cursor, page_query
from trueport.platform.rbac import Permission
from trueport.platform.routes.schemas import RouteIn, RouteOut
from trueport.platform.routes.service import RouteService
from trueport.platform.tenancy import Allowed, TenantContext

router = APIRouter(prefix="/routes", tags=["routes"])

Reader = Annotated[TenantContext, Allowed(Permission.ROUTES_READ)]
Writer = Annotated[TenantContext, Allowed(Permission.ROUTES_WRITE)]


@router.get("", summary="List the tenant's model routes")
async def list_routes(
    ctx: Reader, work: Work, platform: PlatformDep, q: Annotated[PageQuery, Depends(page_query)]
) -> Page[RouteOut]:
    rows, more = await RouteService(work, ctx.tenant_id, platform).page(q)
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(data=[RouteOut.of(row) for row in rows], next_cursor=cursor)


@router.post("", status_code=201, summary="Add a model route (shadows an installation alias of that name)")
async def create_route(body: RouteIn, ctx: Writer, work: Work, platform: PlatformDep) -> RouteOut:
    return RouteOut.of(await RouteService(work, ctx.tenant_id, platform).create(body))


@router.get("/{route_id}", summary="One model route")
async def get_route(route_id: str, ctx: Reader, work: Work, platform: PlatformDep) -> RouteOut:
    return RouteOut.of(await RouteService(work, ctx.tenant_id, platform).get(route_id))


@router.put("/{route_id}", summary="Replace a model route")
async def replace_route(
    route_id: str, body: RouteIn, ctx: Writer, work: Work, platform: PlatformDep
) -> RouteOut:
    return RouteOut.of(await RouteService(work, ctx.tenant_id, platform).replace(route_id, body))


@router.delete("/{route_id}", status_code=204, response_class=Response, summary="Delete a model route")
async def delete_route(route_id: str, ctx: Writer, work: Work, platform: PlatformDep) -> Response:
    await RouteService(work, ctx.tenant_id, platform).delete(route_id)
    return Response(status_code=204)
