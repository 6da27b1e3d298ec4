"""Who may call each control-plane route, read from the routes' own dependencies.

This is the permission matrix the docs publish (``docs/api.md``, kept equal to ``render_matrix()`` by a
test) and the RBAC tests check role by role: what is enforced and what is documented come from the
same place. Run ``python -m trueport.platform.permissions`` to print the table, or with
``--update docs/api.md`` to rewrite it in place.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIRouter

from trueport.platform.principal import authenticate, platform_admin
from trueport.platform.rbac import MATRIX, Permission, Role

PUBLIC = "public"
SIGNED_IN = "signed in"
PLATFORM_ADMIN = "platform admin"


@dataclass(frozen=True, slots=True)
class RouteAccess:
    method: str
    path: str
    summary: str
    needs: str  # a Permission value, PLATFORM_ADMIN, SIGNED_IN or PUBLIC

    @property
    def permission(self) -> Permission | None:
        return Permission(self.needs) if self.needs in set(Permission) else None


def _calls(dependant: Dependant) -> list[object]:
    found: list[object] = []
    for sub in dependant.dependencies:
        if sub.call is not None:
            found.append(sub.call)
        found.extend(_calls(sub))
    return found


def route_access(route: APIRoute) -> list[RouteAccess]:
    calls = _calls(route.dependant)
    permissions: list[Permission] = []
    for call in calls:
        permission = getattr(call, "permission", None)
        if isinstance(permission, Permission):
            permissions.append(permission)
    if len(set(permissions)) > 1:
        raise ValueError(f"{route.path} requires several permissions: {permissions}")
    if permissions:
        needs = permissions[0].value
    elif platform_admin in calls:
        needs = PLATFORM_ADMIN
    elif authenticate in calls:
        needs = SIGNED_IN
    else:
        needs = PUBLIC
    return [
        RouteAccess(method, route.path, route.summary or route.name, needs)
        for method in sorted(route.methods or ())
    ]


def api_routes(router: APIRouter, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every ``APIRoute`` of ``router`` with its full path prefix, nested routers included.

    FastAPI keeps an included router as one entry (``original_router`` plus the ``prefix`` it was
    included with) rather than copying its routes, so the walk descends into those entries.
    """
    for route in router.routes:
        if isinstance(route, APIRoute):
            yield prefix, route
            continue
        nested = getattr(route, "original_router", None)
        if isinstance(nested, APIRouter):
            context = getattr(route, "include_context", None)
            yield from api_routes(nested, prefix + str(getattr(context, "prefix", "") or ""))
        elif isinstance(route, APIRouter):  # pragma: no cover - older FastAPI copies routes instead
            yield from api_routes(route, prefix)


def all_routes() -> list[RouteAccess]:
    from trueport.platform.api import PREFIX, ROUTERS

    access: list[RouteAccess] = []
    for router in ROUTERS:
        for prefix, route in api_routes(router):
            for item in route_access(route):
                access.append(RouteAccess(item.method, PREFIX + prefix + item.path, item.summary, item.needs))
    return access


def render_matrix() -> str:
    """A Markdown table: one row per route, one column per role."""
    roles = list(Role)
    lines = [
        "| Method | Path | Needs | " + " | ".join(role.value for role in roles) + " |",
        "|---|---|---|" + "---|" * len(roles),
    ]
    for item in all_routes():
        permission = item.permission
        if permission is not None:
            needs = f"`{permission.value}`"
            cells = ["✓" if permission in MATRIX[role] else "—" for role in roles]
        else:
            needs = item.needs
            cells = ["—" if item.needs == PLATFORM_ADMIN else "✓"] * len(roles)
        lines.append(f"| {item.method} | `{item.path}` | {needs} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_START = "<!-- permission matrix: generated, do not edit by hand -->\n"
_END = "<!-- end of permission matrix -->"


def update_document(path: Path) -> None:
    """Replace the table between the markers of ``path`` (``docs/api.md``) with ``render_matrix()``."""
    text = path.read_text(encoding="utf-8")
    head, start, rest = text.partition(_START)
    _, end, tail = rest.partition(_END)
    if not start or not end:
        raise SystemExit(f"{path} has no permission-matrix markers")
    path.write_text(head + _START + render_matrix() + _END + tail, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--update":
        update_document(Path(sys.argv[2]))
    else:
        print(render_matrix(), end="")
