"""The test servers and fixtures in ``tests/conftest.py`` do what they promise."""

from __future__ import annotations

import socket
from pathlib import Path

import asyncpg
import pytest

import support.postgres
import support.redis
from support.postgres import PostgresServer
from support.redis import RedisServer
from trueport.settings import async_database_url


def raw_ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64)


# PostgreSQL


@pytest.mark.postgres
async def test_postgres_url_accepts_connections(postgres_server: PostgresServer) -> None:
    connection = await asyncpg.connect(postgres_server.url)
    try:
        assert await connection.fetchval("select 1") == 1
        assert await connection.fetchval("show fsync") == "off"
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_created_databases_are_separate(postgres_server: PostgresServer) -> None:
    first_url = postgres_server.create_database("t_first")
    second_url = postgres_server.create_database("t_second")
    try:
        first = await asyncpg.connect(first_url)
        second = await asyncpg.connect(second_url)
        try:
            await first.execute("create table only_here (id int)")
            assert await first.fetchval("select to_regclass('only_here') is not null")
            assert await second.fetchval("select to_regclass('only_here') is null")
            assert await second.fetchval("select current_database()") == "t_second"
        finally:
            await first.close()
            await second.close()
    finally:
        postgres_server.drop_database("t_first")
        postgres_server.drop_database("t_second")
    leftovers = "select count(*) from pg_database where datname in ('t_first', 't_second')"
    assert postgres_server.execute(leftovers) == "0"


@pytest.mark.postgres
def test_database_names_are_checked(postgres_server: PostgresServer) -> None:
    with pytest.raises(ValueError, match="database name"):
        postgres_server.create_database('x"; drop database postgres; --')


async def test_database_url_is_empty_and_usable(database_url: str) -> None:
    assert async_database_url(database_url).startswith(("sqlite+aiosqlite:////", "postgresql+asyncpg://"))
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        assert path.is_absolute()
        assert path.parent.is_dir()
        assert not path.exists()
        return
    connection = await asyncpg.connect(database_url)
    try:
        assert (await connection.fetchval("select current_database()")).startswith("t_")
        assert await connection.fetchval("select count(*) from pg_tables where schemaname = 'public'") == 0
    finally:
        await connection.close()


@pytest.mark.postgres
def test_stop_removes_the_server_and_its_files() -> None:
    with support.postgres.start_postgres() as server:
        assert (server.root / "data" / "PG_VERSION").exists()
        assert server.execute("select 1") == "1"
    assert not server.root.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    server.stop()  # a second stop is harmless


def test_missing_postgres_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(support.postgres, "_INSTALL_ROOT", tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install"):
        support.postgres.start_postgres()


def test_missing_postgres_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(support.postgres, "_INSTALL_ROOT", tmp_path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install"):
        support.postgres.start_postgres()


# Redis


def test_redis_answers_ping(redis_server: RedisServer) -> None:
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert raw_ping(redis_server.port) == b"+PONG\r\n"


def test_redis_url_starts_empty(redis_server: RedisServer, redis_url: str) -> None:
    assert redis_url == redis_server.url
    assert redis_server.command("DBSIZE") == b":0"
    assert redis_server.command("SET leftover 1") == b"+OK"  # the next redis_url user will not see it


def test_redis_kill_and_restart_on_the_same_port() -> None:
    with support.redis.start_redis() as server:
        url = server.url
        assert server.command("SET key value") == b"+OK"
        server.kill()
        assert not server.running
        with pytest.raises(OSError):
            raw_ping(server.port)
        server.restart()
        assert server.running
        assert server.url == url
        assert raw_ping(server.port) == b"+PONG\r\n"
        assert server.command("EXISTS key") == b":0"  # nothing persisted
    assert not server.running
    assert not server.root.exists()


def test_missing_redis_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install"):
        support.redis.start_redis()


def test_missing_redis_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install"):
        support.redis.start_redis()
