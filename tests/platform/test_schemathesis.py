"""Schemathesis fuzzes every operation of the OpenAPI schema; no input may cause a server error.

It runs the real ``schemathesis`` CLI against the real server (SQLite and PostgreSQL: the latter
refuses over-long strings that SQLite stores, so both must be validated before the database), signed
in as the owner of a tenant so that the tenant-scoped operations run their code, not just the 401.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from tests.platform.harness import ControlPlaneHarness

MAX_EXAMPLES = 25
SEED = 20261204


@pytest.mark.slow
@pytest.mark.timeout(600)  # 25 examples for each of ~100 operations: 1-2 minutes, more on a busy machine
async def test_no_operation_answers_with_a_server_error(
    platform: ControlPlaneHarness, tmp_path: Path
) -> None:
    tenant = await platform.tenant("fuzz")
    owner = await platform.user("owner@fuzz.test")
    await platform.member(tenant, owner, "owner")
    token = platform.token(owner, tenant)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{platform.url}/api/v1/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "20",
        # Logging out (everywhere) would revoke the fuzzer's own token and leave it testing 401s.
        "--exclude-path",
        "/api/v1/auth/logout",
        "--header",
        f"Authorization: Bearer {token}",
        "--report-dir",
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-6000:]
