"""What a detector found in a text it has already scanned, so a repeated text is not scanned again.

Applications resend the same texts all the time: the system prompt on every request, the whole
conversation so far on every turn of a chat (a 20-turn chat rescans 19 turns it has already seen),
the same retrieved documents for similar questions. A detector's findings depend only on the text
and what it is told (its ``ScanContext``: direction, source, tenant, wanted types), so they are
kept here under that context and a digest of the text and reused.

- The key is ``(detector, context, blake2b-128 of the text)``: the text itself is not kept (a cache
  of prompts would be a second copy of every tenant's data in memory). The context carries the
  tenant, so tenants never share entries (one tenant cannot learn from timings whether another
  sent a text).
- Findings are immutable, so hits are shared as they are. Failures are never cached (the next
  request tries again).
- Bounded: at ``max_entries`` the oldest insertion is dropped (first in, first out: a hit costs one
  dictionary lookup and no bookkeeping). Safe to use from the scan threads: reads are single
  dictionary operations, inserts and evictions take a lock.

Only input texts are cached (``GuardEngine`` decides): answers are new every time. One cache serves
one set of detectors (the key names a detector by its ``name``). ``guard.findings_cache`` sets the
size (0: no cache); ``hits`` and ``misses`` are counted without a lock (close, not exact).
"""

from __future__ import annotations

import threading
from collections import deque
from hashlib import blake2b

from trueport.guard.base import Finding, ScanContext

CacheKey = tuple[str, ScanContext, bytes]


def text_digest(text: str) -> bytes:
    """The key part that stands for ``text``: 128 bits of BLAKE2b of its UTF-8 (surrogates escaped)."""
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class FindingsCache:
    def __init__(self, max_entries: int):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1 (use no cache instead)")
        self.max_entries = max_entries
        self._entries: dict[CacheKey, tuple[Finding, ...]] = {}
        # Insertion order apart: ``next(iter(dict))`` after deleting from the front walks over the
        # deleted slots (thousands of them in a full cache) until the dict is next resized.
        self._order: deque[CacheKey] = deque()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> tuple[Finding, ...] | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: CacheKey, findings: tuple[Finding, ...]) -> None:
        with self._lock:
            entries = self._entries
            if key not in entries:
                if len(entries) >= self.max_entries:
                    del entries[self._order.popleft()]
                self._order.append(key)
            entries[key] = findings

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._order.clear()
