"""Bringing a database schema up to date (Alembic, forward-only).

Alembic is imported only to migrate, or to explain a schema that is not this version's: checking
that a schema is current (every ``trueport serve`` and recorder start) reads the revisions from the
migration files' ``revision = "..."`` lines and ``alembic_version`` with one query, which saves the
import of Alembic (a third of a second) in each starting process.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from trueport.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*(None|"([^"]*)")', re.MULTILINE)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade_to_head(url: str) -> None:
    """Apply every pending migration (blocking; call it before the event loop or in a thread).

    Raises ``ConfigError`` (one sentence) when the database cannot be reached or is at a revision
    this version does not know."""
    from alembic import command
    from alembic.util import CommandError

    where = make_url(url).render_as_string(hide_password=True)
    try:
        command.upgrade(alembic_config(url), "head")
    except CommandError as exc:
        raise ConfigError(
            f"cannot migrate the database at {where}: {exc} (a newer TruePort migrated it; migrations "
            "only go forward): run that version or a newer one"
        ) from exc
    except (OSError, SQLAlchemyError) as exc:
        raise ConfigError(f"cannot reach the database at {where}: {type(exc).__name__}: {exc}") from exc


def upgrade_if_behind(url: str) -> None:
    """``upgrade_to_head``, unless the schema is at head already: a start that finds it current
    (every one but the first) reads one row instead of importing and running Alembic (half a second
    of CPU). Blocking, like ``upgrade_to_head``."""
    if asyncio.run(_schema_is_current(url)):
        return
    upgrade_to_head(url)


async def _schema_is_current(url: str) -> bool:
    from trueport.db.engine import create_engine

    engine = create_engine(url)
    try:
        return await current_revision(engine) == head_revision()
    except (OSError, SQLAlchemyError):
        return False  # upgrade_to_head says why in one sentence
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The revision no migration file builds on (what ``alembic heads`` says, without Alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        for name, _value, revision in _REVISION.findall(path.read_text(encoding="utf-8")):
            if revision:
                (revisions if name == "revision" else parents).add(revision)
    heads = revisions - parents
    if len(heads) > 1:
        raise ConfigError(f"the migrations have several heads ({', '.join(sorted(heads))}): merge them")
    return next(iter(heads), None)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The schema's revision (``alembic_version``), None for a database without one."""
    async with engine.connect() as connection:
        has_table = await connection.run_sync(lambda sync: sync.dialect.has_table(sync, "alembic_version"))
        if not has_table:
            return None
        rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    if len(rows) > 1:  # Alembic's branches: not something TruePort's migrations make
        raise ConfigError(f"the database has several schema revisions ({', '.join(r[0] for r in rows)})")
    return str(rows[0][0]) if rows else None


def schema_problem(url: str, revision: str | None) -> str | None:
    """One sentence saying what to run when the schema at ``url`` (at ``revision``) is not this
    version's head; None when it is."""
    head = head_revision()
    if revision == head:
        return None
    where = f"the database at {make_url(url).render_as_string(hide_password=True)}"
    if revision is None:
        return f"{where} has no TruePort schema, this TruePort needs revision {head}: run `trueport migrate`"
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
    except CommandError:
        return (
            f"{where} is at revision {revision}, which this TruePort does not know (a newer version "
            "migrated it; migrations only go forward): run that version or a newer one"
        )
    return f"{where} is at revision {revision}, this TruePort needs {head}: run `trueport migrate`"


async def require_current_schema(engine: AsyncEngine) -> None:
    """Raise ``ConfigError`` with ``schema_problem``'s sentence unless the schema is at head (or one
    saying the database cannot be reached)."""
    try:
        revision = await current_revision(engine)
    except (OSError, SQLAlchemyError) as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError(f"cannot reach the database at {where}: {type(exc).__name__}: {exc}") from exc
    problem = schema_problem(str(engine.url), revision)
    if problem is not None:
        raise ConfigError(problem)
