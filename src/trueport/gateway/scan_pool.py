"""Running inline guard scans off the event loop, in a bounded pool, within a deadline.

The detectors are synchronous CPU-bound code (regular expressions, and ONNX models that release the
GIL while they run). Run on the event loop, one large request stalled every other request of the
process for as long as its scan took. Here each evaluation runs in one of ``guard.scan_threads``
threads; the request's coroutine waits for it at most its policy's ``scan_limits.deadline_ms``.

Threads, not processes: the engines (and their loaded models) are shared without copying or
pickling, ONNX inference releases the GIL, and pure-Python regex work only takes the GIL in turns
(the interpreter switches threads every 5 ms), so the event loop keeps answering while a scan runs;
``tests/gateway/test_guard_stall_e2e.py`` measures what another tenant's request still waits.

A scan that passes its deadline cannot be stopped (Python cannot preempt a thread): it runs to its
end in its worker, and the request goes on without it. That is why the size of what one request may
have scanned is bounded too (``ScanLimits.max_texts``, ``max_chars``).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class ScanDeadlineExceeded(Exception):
    """The scan's verdict was not ready in time (the scan itself may still be running)."""


class ScanPool:
    def __init__(self, threads: int):
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="trueport-guard-scan")

    async def run(self, function: Callable[[], T], deadline_s: float) -> T:
        """``function()`` in a worker thread (with the caller's context, for logging); its result, or
        ``ScanDeadlineExceeded`` if it is not ready within ``deadline_s`` (waiting for a worker included)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        future = loop.run_in_executor(self._executor, context.run, function)
        try:
            return await asyncio.wait_for(future, deadline_s)
        except TimeoutError:
            raise ScanDeadlineExceeded from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
