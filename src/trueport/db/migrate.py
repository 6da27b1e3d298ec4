"""Bringing a database schema up to date (Alembic, forward-only)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from trueport.errors import ConfigError

_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade_to_head(url: str) -> None:
    """Apply every pending migration (blocking; call it before the event loop or in a thread).

    Raises ``ConfigError`` (one sentence) when the database cannot be reached or is at a revision
    this version does not know."""
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


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


def schema_problem(url: str, revision: str | None) -> str | None:
    """One sentence saying what to run when the schema at ``url`` (at ``revision``) is not this
    version's head; None when it is."""
    head = head_revision()
    if revision == head:
        return None
    where = f"the database at {make_url(url).render_as_string(hide_password=True)}"
    if revision is None:
        return f"{where} has no TruePort schema, this TruePort needs revision {head}: run `trueport migrate`"
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
