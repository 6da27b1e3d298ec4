"""Child processes: a whole process group is stopped, usage is read from /proc."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from processes import BenchError, ServiceSet, cpu_between, group_usage, start, wait_healthy


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


def test_cpu_counts_processes_that_start_later_and_splits_off_background_ones(tmp_path: Path) -> None:
    services = ServiceSet()
    # A shell that, after the first reading, starts a busy child whose arguments include "recorder".
    script = 'sleep 0.3; sh -c "while :; do :; done" recorder & wait'
    service = services.add(start("group", ["sh", "-c", script], cpu=None, log_path=tmp_path / "log"))
    try:
        before = group_usage(service.pgid)
        time.sleep(1.0)
        after = group_usage(service.pgid)
    finally:
        services.stop_all()
    use = cpu_between(before, after)
    assert use.background_s > 0.2
    assert use.serving_s < 0.2
    assert use.installation_s == use.serving_s + use.background_s
    assert any(process.background for process in after.processes)
