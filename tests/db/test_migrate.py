"""The schema check reads revisions without Alembic: it must say what Alembic says."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from trueport.db.engine import create_engine
from trueport.db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revision() == script.get_current_head()
    assert head_revision() is not None


async def test_the_current_revision_is_alembics(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}"
    engine = create_engine(url)
    try:
        assert await current_revision(engine) is None  # no schema yet
        await asyncio.to_thread(upgrade_to_head, url)
        async with engine.connect() as connection:
            alembic_says = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
        assert await current_revision(engine) == alembic_says == head_revision()
    finally:
        await engine.dispose()
