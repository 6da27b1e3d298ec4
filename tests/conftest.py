"""Fixtures shared by the whole suite: real PostgreSQL and Redis servers, and database URLs.

- ``postgres_server`` / ``redis_server`` (session): one server each, started on first use, stopped at
  the end. Shared by every test, so do not kill or reconfigure them; start a private server with
  ``support.redis.start_redis()`` or ``support.postgres.start_postgres()`` for that.
- ``database_url``: runs the test twice, ``[sqlite]`` and ``[postgres]``, with an empty database each
  time. The postgres case carries the ``postgres`` marker (deselect with ``-m "not postgres"``).
- ``sqlite_database_url``: only the embedded default.
- ``redis_url``: the session Redis, emptied before the test.

A missing server binary skips its tests, or fails them when ``CI=true``.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

# --import-mode=importlib leaves sys.path alone; this makes ``import support`` work from any test.
sys.path.insert(0, str(Path(__file__).parent))

import trueport.logging
from support.postgres import PostgresServer, start_postgres
from support.redis import RedisServer, start_redis

trueport.logging.CACHE_LOGGERS = False


@pytest.fixture(autouse=True)
def logging_as_the_suite_set_it() -> Iterator[None]:
    """Commands run in-process (``CliRunner``) configure logging for the whole process, e.g. at level
    ``warning``: each test starts from the suite's configuration, so that ``capture_logs`` in a later
    test still sees ``info`` events."""
    config = structlog.get_config()
    yield
    structlog.configure(**config)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> str:
    """``sqlite:///<tmp_path>/trueport.db`` (the file does not exist yet)."""
    return f"sqlite:///{tmp_path}/trueport.db"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database in each backend ``Settings.database`` accepts; PostgreSQL's is dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/trueport.db"
        return
    # Looked up lazily so that sqlite-only runs never start PostgreSQL.
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"t_{secrets.token_hex(6)}"
    yield server.create_database(name)
    server.drop_database(name)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session Redis with no keys left over from earlier tests."""
    assert redis_server.command("FLUSHALL") == b"+OK"
    return redis_server.url
