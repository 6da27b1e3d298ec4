"""The permission matrix, checked route by route and role by role against the running API.

Every ``/api/v1`` route is found from the app itself (``trueport.platform.permissions``): a route
that needs a tenant permission must answer 403 ``permission_denied`` to exactly the roles the matrix
denies it to; platform-admin routes refuse tenant users; signed-in routes refuse anonymous callers.
A new route that forgets its permission check fails here, and so does a docs table that drifts.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from tests.platform.harness import ControlPlaneHarness

from trueport.platform.permissions import PLATFORM_ADMIN, PUBLIC, RouteAccess, all_routes, render_matrix
from trueport.platform.rbac import MATRIX, Role

DOCS = Path(__file__).parents[2] / "docs" / "api.md"
# Routes that act on the caller rather than on a tenant's data (platform-admin routes are allowed anywhere).
NOT_TENANT_SCOPED = ("/api/v1/auth/", "/api/v1/users/", "/api/v1/audit/public-keys")


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "1" if "version" in m.group(0) else str(uuid.uuid4()), path)


async def _call(client: httpx.AsyncClient, route: RouteAccess, headers: dict[str, str]) -> httpx.Response:
    body = {} if route.method in ("POST", "PUT", "PATCH") else None
    return await client.request(route.method, _url(route.path), json=body, headers=headers)


def _denied(response: httpx.Response) -> bool:
    return response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_every_route_outside_auth_users_and_admin_needs_a_tenant_permission() -> None:
    routes = all_routes()
    assert routes, "no routes found"
    unguarded = [
        f"{r.method} {r.path} ({r.needs})"
        for r in routes
        if r.permission is None and r.needs != PLATFORM_ADMIN and not r.path.startswith(NOT_TENANT_SCOPED)
    ]
    assert unguarded == []


def test_the_documented_matrix_is_the_enforced_one() -> None:
    assert render_matrix() in DOCS.read_text(encoding="utf-8"), (
        "docs/api.md is out of date: run `uv run python -m trueport.platform.permissions --update docs/api.md`"
    )


async def test_every_served_route_is_in_the_matrix(platform: ControlPlaneHarness) -> None:
    """What the running API serves (its OpenAPI schema) against the matrix: nested routers included."""
    schema = (await platform.client.get("/api/v1/openapi.json")).json()
    served = {(method.upper(), path) for path, operations in schema["paths"].items() for method in operations}
    listed = {(route.method, route.path) for route in all_routes()}
    assert {("GET", "/api/v1/members"), ("POST", "/api/v1/invitations")} <= served
    assert sorted(served - listed) == []
    assert sorted(listed - served) == []


async def test_each_role_gets_exactly_the_permissions_of_the_matrix(platform: ControlPlaneHarness) -> None:
    tenant = await platform.tenant("acme")
    headers: dict[Role, dict[str, str]] = {}
    for role in Role:
        user = await platform.user(f"{role.value}@acme.test")
        await platform.member(tenant, user, role)
        headers[role] = platform.auth(user, tenant)
    wrong: list[str] = []
    for route in all_routes():
        permission = route.permission
        if permission is None:
            continue
        for role in Role:
            response = await _call(platform.client, route, headers[role])
            expected_denied = permission not in MATRIX[role]
            if _denied(response) != expected_denied:
                wrong.append(
                    f"{route.method} {route.path} as {role.value}: {response.status_code} {response.text[:200]}"
                )
    assert wrong == []


async def test_platform_admin_routes_refuse_tenant_users(platform: ControlPlaneHarness) -> None:
    tenant = await platform.tenant("acme")
    owner = await platform.user("owner@acme.test")
    await platform.member(tenant, owner, "owner")
    admin = await platform.user("ops@installation.test", platform_admin=True)
    wrong: list[str] = []
    for route in all_routes():
        if route.needs != PLATFORM_ADMIN:
            continue
        refused = await _call(platform.client, route, platform.auth(owner, tenant))
        if refused.status_code != 403:
            wrong.append(f"{route.method} {route.path} as a tenant owner: {refused.status_code}")
        allowed = await _call(platform.client, route, platform.auth(admin))
        if allowed.status_code in (401, 403):
            wrong.append(f"{route.method} {route.path} as a platform admin: {allowed.status_code}")
    assert wrong == []


async def test_signed_in_routes_refuse_anonymous_callers(platform: ControlPlaneHarness) -> None:
    wrong: list[str] = []
    for route in all_routes():
        response = await _call(platform.client, route, {})
        if route.needs == PUBLIC:
            if response.status_code == 401:
                wrong.append(f"{route.method} {route.path} is public but answered 401")
        elif response.status_code != 401:
            wrong.append(
                f"{route.method} {route.path} ({route.needs}) answered {response.status_code} without a token"
            )
    assert wrong == []
