"""Child processes: a whole process group is stopped, usage is read from /proc."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from processes import BenchError, ServiceSet, group_usage, start, wait_healthy


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    services = ServiceSet()
    service = services.add(
        start("sleepers", ["sh", "-c", "sleep 60 & sleep 60"], cpu=None, log_path=tmp_path / "log")
    )
    try:
        deadline = time.monotonic() + 5
        while group_usage(service.pgid).rss_bytes == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert group_usage(service.pgid).rss_bytes > 0
    finally:
        services.stop_all()
    with pytest.raises(ProcessLookupError):
        os.killpg(service.pgid, 0)


def test_a_server_that_dies_fails_fast_with_its_log(tmp_path: Path) -> None:
    services = ServiceSet()
    service = services.add(
        start("broken", ["sh", "-c", "echo boom; exit 3"], cpu=None, log_path=tmp_path / "log")
    )
    try:
        with pytest.raises(BenchError, match=r"(?s)exited with code 3.*boom"):
            wait_healthy(service, "http://127.0.0.1:9/healthz", timeout_s=10)
    finally:
        services.stop_all()
