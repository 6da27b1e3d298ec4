"""``scripts/restore_drill.sh`` against real PostgreSQL servers: traffic, export, pg_dump, wipe, restore
into a second (fresh) server, the same tree head there, and ``trueport audit verify`` OK on archives
exported before the wipe and after the restore."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.postgres import PostgresServer, start_postgres

DRILL = Path(__file__).parents[2] / "scripts" / "restore_drill.sh"


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(900)  # four server starts and a dozen commands: ~2 minutes on two busy cores
def test_the_restore_drill_passes(postgres_server: PostgresServer) -> None:
    source = postgres_server.create_database("restore_drill_source")
    try:
        with start_postgres() as fresh:
            target = fresh.create_database("restore_drill_target")
            env = {
                **os.environ,
                "TRUEPORT": f"{sys.executable} -m trueport",
                "PYTHON": sys.executable,
                "PG_BINDIR": str(postgres_server.bindir),
                "CALLS": "12",
            }
            result = subprocess.run(
                [str(DRILL), source, target],
                env=env,
                capture_output=True,
                text=True,
                timeout=840,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            assert result.stdout.startswith("restore drill OK: 12 calls, 12 audit events;"), result.stdout
            assert "8/8 verifying both archives" in result.stderr
    finally:
        postgres_server.drop_database("restore_drill_source")


@pytest.mark.postgres
def test_the_drill_refuses_a_database_that_is_not_scratch(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    source = postgres_server.create_database("restore_drill_in_use")
    try:
        env = {**os.environ, "TRUEPORT": f"{sys.executable} -m trueport", "PYTHON": sys.executable}
        config = tmp_path / "trueport.yaml"
        config.write_text(f"database: {source}\n")
        subprocess.run(
            [sys.executable, "-m", "trueport", "migrate", "--config", str(config)], check=True, timeout=120
        )
        result = subprocess.run(
            [str(DRILL), source, source], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 1
        assert "already holds a TruePort schema" in result.stderr
    finally:
        postgres_server.drop_database("restore_drill_in_use")
