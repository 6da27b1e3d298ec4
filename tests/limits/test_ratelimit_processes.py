"""Three processes, each with its own ``Limiter`` on one Redis, burst at once: exactly the limit passes.

The test starts this file as a script three times (``python test_ratelimit_processes.py ...``);
each process opens its own state and limiter, says ``ready``, reads a start time on stdin, fires its
burst of concurrent ``admit`` calls at that moment and prints what it saw as JSON.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest

from trueport.keys.cache import KeyInfo
from trueport.limits.ratelimit import WINDOW_S, Limiter
from trueport.settings import LimitsConfig, Settings
from trueport.state import open_state

PROCESSES = 3
PINNED = 1_780_000_020.0  # twenty seconds into a minute


async def burst(redis_url: str, mode: str, limit: int, attempts: int, pinned: bool) -> dict[str, object]:
    state = await open_state(Settings(redis=redis_url))
    try:
        config = LimitsConfig(mode=mode, gcra_burst_s=60)  # type: ignore[arg-type]
        limiter = Limiter(state, config, clock=(lambda: PINNED) if pinned else None)
        key = KeyInfo("burst-key", "burst-tenant", "acme", "burst", None, limit, None, None, None, None)
        await limiter.admit(KeyInfo("warm", "warm", "w", "w", None, 1, None, None, None, None))
        print("ready", flush=True)
        start_at = float(sys.stdin.readline())
        await asyncio.sleep(max(0.0, start_at - time.time()))  # the three bursts start together
        started = state.now()
        admissions = await asyncio.gather(*(limiter.admit(key) for _ in range(attempts)))
        ended = state.now()
        return {
            "admitted": sum(a.allowed for a in admissions),
            "started": started,
            "ended": ended,
            "windows": [int(started // WINDOW_S), int(ended // WINDOW_S)],
            "degraded": state.degraded,
            "fallbacks": state.fallbacks,
        }
    finally:
        await state.close()


def run_processes(
    redis_url: str, mode: str, limit: int, attempts: int, pinned: bool
) -> list[dict[str, object]]:
    args = [redis_url, mode, str(limit), str(attempts), "pinned" if pinned else "shared-clock"]
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line == "ready\n", (line, worker.stderr.read() if worker.stderr else "")
        start_at = time.time() + 0.3
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"{start_at}\n")
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err
            results.append(json.loads(out))
        return results
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


@pytest.mark.slow
def test_three_processes_admit_exactly_the_limit(redis_url: str) -> None:
    """Each process tries 120 times, fewer than the limit of 150: no process can take it all alone."""
    results = run_processes(redis_url, "fixed", 150, attempts=120, pinned=True)
    assert [r["degraded"] for r in results] == [False] * PROCESSES
    assert [r["fallbacks"] for r in results] == [0] * PROCESSES
    assert sum(int(r["admitted"]) for r in results) == 150, results  # type: ignore[call-overload]


@pytest.mark.slow
def test_three_processes_share_one_gcra_burst(redis_url: str) -> None:
    """GCRA on the shared clock: 150/min with 60 s of burst lets 150 through at once, then one per
    0.4 s; so exactly 150, plus one per 0.4 s that the bursts took in all."""
    results = run_processes(redis_url, "gcra", 150, attempts=120, pinned=False)
    assert [r["fallbacks"] for r in results] == [0] * PROCESSES
    started = min(r["started"] for r in results)  # type: ignore[type-var]
    ended = max(r["ended"] for r in results)  # type: ignore[type-var]
    refilled = int((ended - started) / 0.4)  # type: ignore[operator]
    admitted = sum(int(r["admitted"]) for r in results)  # type: ignore[call-overload]
    assert 150 <= admitted <= 150 + refilled, (admitted, refilled, results)


@pytest.mark.slow
def test_three_processes_on_the_shared_redis_clock(redis_url: str) -> None:
    """The same on the real clock (Redis TIME); a burst that straddles a minute's edge is run again."""
    for _ in range(3):
        if time.time() % WINDOW_S > WINDOW_S - 5:
            time.sleep(6)  # too near the edge to start
        results = run_processes(redis_url, "fixed", 150, attempts=120, pinned=False)
        windows = {w for r in results for w in r["windows"]}  # type: ignore[attr-defined]
        if len(windows) == 1:
            assert sum(int(r["admitted"]) for r in results) == 150  # type: ignore[call-overload]
            assert [r["fallbacks"] for r in results] == [0] * PROCESSES
            return
        assert sum(int(r["admitted"]) for r in results) <= 300  # type: ignore[call-overload]
    pytest.fail("every attempt straddled a minute's edge")


if __name__ == "__main__":
    url, mode, limit, attempts, clock = sys.argv[1:]
    report = asyncio.run(burst(url, mode, int(limit), int(attempts), clock == "pinned"))
    print(json.dumps(report), flush=True)
