"""What one emulator instance remembers: its options, the request log and the fault counters."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, TypedDict

REQUEST_LOG_SIZE = 200


class RecordedRequest(TypedDict):
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Header names in lower case, values as received (credentials included)."""
    body: Any
    """The parsed JSON body; the text when it is not JSON; ``None`` when empty."""


class RequestLog:
    """The last ``REQUEST_LOG_SIZE`` requests; safe to read from another thread."""

    def __init__(self, size: int = REQUEST_LOG_SIZE):
        self._entries: deque[RecordedRequest] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(slots=True)
class MockState:
    latency_ms: int = 0
    api_key: str | None = None
    log: RequestLog = field(default_factory=RequestLog)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the server shuts down, to release requests told to hang."""
    responses: dict[str, list[str]] = field(default_factory=dict)
    """Responses API answers by id: the conversation's texts, for ``previous_response_id``."""
    _flaky_counts: dict[str, int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def flaky_fails(self, model: str, every: int) -> bool:
        """Count a request to ``model``; true for every ``every``-th one."""
        count = self._flaky_counts.get(model, 0) + 1
        self._flaky_counts[model] = count
        return count % every == 0

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):024d}"

    def reset(self) -> None:
        """Forget recorded requests and fault counters."""
        self.log.clear()
        self._flaky_counts.clear()
        self.responses.clear()
