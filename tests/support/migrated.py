"""``upgrade_to_head`` for the test harnesses, from a template migrated once per session.

Running every Alembic migration for each test costs a few tenths of a second per database, and the
suite makes well over a thousand. An *empty* database is instead filled from a template that went
through the real ``upgrade_to_head`` once: SQLite's file is copied, PostgreSQL's database is re-created
with ``CREATE DATABASE … TEMPLATE``. Anything else (a database that already has tables, another backend,
a template that cannot be used right now) goes through ``upgrade_to_head`` itself, so a harness always
ends with the schema at head, exactly as the real migrations leave it. Tests of the migrations
themselves call ``upgrade_to_head`` directly.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from trueport.db.migrate import upgrade_to_head

from .postgres import find_bindir

_lock = threading.Lock()
_templates: dict[str, str] = {}  # "sqlite": the template file; "host:port": PostgreSQL's template database


def upgrade_empty_to_head(url: str) -> None:
    """The schema at head in the database at ``url`` (blocking, like ``upgrade_to_head``)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and _copied_sqlite(parsed):
        return
    if backend == "postgresql" and _cloned_postgres(parsed):
        return
    upgrade_to_head(url)


def _copied_sqlite(url: URL) -> bool:
    if not url.database or url.database == ":memory:":
        return False
    target = Path(url.database)
    if target.exists() or not target.parent.is_dir():
        return False
    shutil.copyfile(_sqlite_head(), target)
    return True


def _sqlite_head() -> Path:
    with _lock:
        if "sqlite" not in _templates:
            path = Path(tempfile.mkdtemp(prefix="trueport-head-")) / "head.db"
            upgrade_to_head(f"sqlite+aiosqlite:///{path}")
            with sqlite3.connect(path) as connection:  # everything in the main file, none in a WAL
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _templates["sqlite"] = str(path)
        return Path(_templates["sqlite"])


def _cloned_postgres(url: URL) -> bool:
    name, host, port = url.database, url.host or "127.0.0.1", url.port or 5432
    if not name or find_bindir() is None:
        return False
    if _psql(url, name, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") != "0":
        return False
    template = _postgres_head(url, host, port)
    try:  # fails if someone is connected to either database: then the real migrations run
        _psql(url, "postgres", f'DROP DATABASE "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    except subprocess.CalledProcessError:
        _psql(url, "postgres", f'CREATE DATABASE "{name}"', check=False)
        return False
    return True


def _postgres_head(url: URL, host: str, port: int) -> str:
    with _lock:
        template = _templates.get(f"{host}:{port}")
        if template is None:
            template = f"head_{secrets.token_hex(6)}"
            _psql(url, "postgres", f'CREATE DATABASE "{template}"')
            upgrade_to_head(
                url.set(drivername="postgresql+asyncpg", database=template).render_as_string(False)
            )
            _templates[f"{host}:{port}"] = template
        return template


def _psql(url: URL, database: str, *statements: str, check: bool = True) -> str:
    """Each statement on its own (``-c`` each: no transaction around them), stopping at an error."""
    bindir = find_bindir()
    assert bindir is not None
    command = [str(bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    command += ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    command += ["-d", database]
    for statement in statements:
        command += ["-c", statement]
    result = subprocess.run(command, capture_output=True, text=True, check=check, timeout=60, cwd="/")
    return result.stdout.strip()
