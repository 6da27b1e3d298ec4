"""Short-lived database access for commands (CLI, demo): migrate the embedded DB, open a session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from trueport.db.engine import SessionFactory, create_engine, session_factory
from trueport.db.migrate import require_current_schema, upgrade_to_head
from trueport.settings import Settings


def is_embedded(settings: Settings) -> bool:
    return settings.database_url.startswith("sqlite")


async def prepare_database(settings: Settings) -> None:
    """Embedded SQLite migrates itself; PostgreSQL is migrated by `trueport migrate` on purpose."""
    if is_embedded(settings):
        await asyncio.to_thread(upgrade_to_head, settings.database_url)


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[SessionFactory]:
    """Sessions on a schema at this version's head (else ``ConfigError`` saying what to run)."""
    await prepare_database(settings)
    engine = create_engine(settings.database_url)
    try:
        await require_current_schema(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()
