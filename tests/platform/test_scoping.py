"""Tenant-owned rows are reached from the control plane only through ``ScopedRepository``."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trueport.db.models import TENANT_OWNED, ApiKey, Tenant, TenantRoute
from trueport.db.session import database
from trueport.platform.pagination import PageQuery
from trueport.platform.scoping import ScopedRepository
from trueport.settings import load_settings
from trueport.tenants.service import create_tenant

PLATFORM = Path(__file__).parents[2] / "src" / "trueport" / "platform"
OWNED_NAMES = {model.__name__ for model in TENANT_OWNED}
# Statements that read or write rows without a tenant filter of their own.
QUERY_FUNCTIONS = {"select", "update", "delete", "insert"}


def _unscoped_queries(path: Path) -> list[str]:
    """Queries of tenant-owned models outside ``ScopedRepository``, except on statements that say why
    with a ``# tenant-scope: <reason>`` comment on the line of the call (e.g. a user's own memberships
    across tenants)."""
    found: list[str] = []
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and "# tenant-scope:" in lines[node.lineno - 1]:
            continue
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in QUERY_FUNCTIONS:
            for argument in node.args:
                root = argument.value if isinstance(argument, ast.Attribute) else argument
                if isinstance(root, ast.Name) and root.id in OWNED_NAMES:
                    found.append(f"{path.relative_to(PLATFORM)}:{node.lineno}: {name}({root.id}...)")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Name) and first.id in OWNED_NAMES:  # session.get(Model, id)
                found.append(f"{path.relative_to(PLATFORM)}:{node.lineno}: session.get({first.id}, ...)")
    return found


def test_no_platform_module_queries_a_tenant_owned_table_directly() -> None:
    offenders = [
        finding
        for path in sorted(PLATFORM.rglob("*.py"))
        if path.name != "scoping.py"
        for finding in _unscoped_queries(path)
    ]
    assert offenders == [], "query these through a ScopedRepository:\n" + "\n".join(offenders)


def test_the_check_finds_an_unscoped_query(tmp_path: Path) -> None:
    bad = PLATFORM / "_probe_unscoped.py"
    bad.write_text(
        "from sqlalchemy import select\nfrom trueport.db.models import ApiKey\nq = select(ApiKey)\n"
    )
    try:
        assert _unscoped_queries(bad) == ["_probe_unscoped.py:3: select(ApiKey...)"]
    finally:
        bad.unlink()


class Keys(ScopedRepository[ApiKey]):
    model = ApiKey


class Routes(ScopedRepository[TenantRoute]):
    model = TenantRoute


def test_only_tenant_owned_models_can_be_scoped() -> None:
    class Tenants(ScopedRepository[Tenant]):
        model = Tenant

    with pytest.raises(TypeError, match="not a tenant-owned model"):
        Tenants(None, "t")  # type: ignore[arg-type]


async def test_a_scoped_repository_never_returns_another_tenants_rows(database_url: str) -> None:
    import asyncio

    from support.migrated import upgrade_empty_to_head
    from trueport.settings import async_database_url

    await asyncio.to_thread(upgrade_empty_to_head, async_database_url(database_url))
    async with database(load_settings(database=database_url)) as sessions:
        async with sessions() as session:
            a = await create_tenant(session, "a")
            b = await create_tenant(session, "b")
            start = datetime(2026, 1, 1, tzinfo=UTC)
            for tenant in (a, b):
                for i in range(3):
                    Routes(session, tenant.id).add(
                        TenantRoute(
                            tenant_id="ignored",  # the repository sets its own tenant
                            alias=f"{tenant.slug}-{i}",
                            targets=[{"provider": "p", "model": "m"}],
                            created_at=start + timedelta(minutes=i),
                        )
                    )
            await session.commit()
        async with sessions() as session:
            routes_a, routes_b = Routes(session, a.id), Routes(session, b.id)
            mine = await routes_a.all()
            assert sorted(r.alias for r in mine) == ["a-0", "a-1", "a-2"]
            theirs = await routes_b.all()
            assert await routes_a.get(theirs[0].id) is None
            assert await routes_b.get(theirs[0].id) is not None
            with pytest.raises(PermissionError):
                await routes_a.delete(theirs[0])
            first, more = await routes_a.page(PageQuery(limit=2, cursor=None))
            assert [r.alias for r in first] == ["a-0", "a-1"] and more
            rest, more = await routes_a.page(PageQuery(limit=2, cursor=(first[-1].created_at, first[-1].id)))
            assert [r.alias for r in rest] == ["a-2"] and not more
