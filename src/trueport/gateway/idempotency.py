"""Idempotency keys: a repeated request with the same ``Idempotency-Key`` and body gets the stored answer.

- The first request owns the key (an atomic set-if-absent of a *pending* entry) and runs; its whole
  answer (streams included, byte for byte) is stored for ``DONE_TTL_S`` (24 h) if it is not a 5xx.
- A concurrent duplicate waits for the first (polling the shared store) and then replays it.
- The same key with a different body is a 409.
- Replays are recorded with no tokens and no cost, so a request is counted and billed once.
- If the owner fails (5xx, crash), the entry is removed (or its short pending TTL lapses) and a retry
  runs afresh.

Keys are scoped per tenant; the store is shared by every replica when Redis is configured.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable

from trueport.errors import Conflict, InvalidRequest
from trueport.gateway.call import Call
from trueport.gateway.replay import KeyValueStore, ResponseCapture, StoredResponse, send_stored

DONE_TTL_S = 24 * 3600.0
PENDING_TTL_S = 300.0  # longer than any request may take; a crashed owner frees the key after this
_POLL_S = 0.05
_MAX_KEY_LENGTH = 255
REPLAY_HEADER = (b"x-trueport-idempotent-replay", b"true")


def body_fingerprint(path: str, body: bytes) -> str:
    return hashlib.sha256(path.encode() + b"\n" + body).hexdigest()


def store_key(tenant_id: str, idempotency_key: str) -> str:
    if not idempotency_key or len(idempotency_key) > _MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} characters")
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return f"idempotency:{tenant_id}:{digest}"


async def run_idempotent(
    store: KeyValueStore,
    call: Call,
    idempotency_key: str,
    fingerprint: str,
    run: Callable[[], Awaitable[None]],
    *,
    wait_s: float,
) -> None:
    key = store_key(call.key_info.tenant_id, idempotency_key)
    pending = StoredResponse(0, [], b"", {"state": "pending", "hash": fingerprint}).encode()
    deadline = time.monotonic() + wait_s
    while not await store.set_if_absent(key, pending, PENDING_TTL_S):
        blob = await store.get(key)
        if blob is None:
            continue  # the owner just gave up: try to own it
        stored = StoredResponse.decode(blob)
        if stored.meta.get("hash") != fingerprint:
            raise Conflict("this Idempotency-Key was already used with a different request body")
        if stored.meta.get("state") == "done":
            call.record.served_from = "idempotency"
            call.response_started = True
            await send_stored(call.send, stored, [(b"x-request-id", call.record.id.encode()), REPLAY_HEADER])
            return
        if time.monotonic() > deadline:
            raise Conflict("a request with this Idempotency-Key is still in progress; retry later")
        await asyncio.sleep(_POLL_S)

    capture = ResponseCapture(call.send)
    call.send = capture
    try:
        await run()
    except BaseException:
        await store.delete(key)
        raise
    stored_answer = capture.stored({"state": "done", "hash": fingerprint})
    if stored_answer is not None and stored_answer.status < 500 and call.record.error_class is None:
        await store.set(key, stored_answer.encode(), DONE_TTL_S)
    else:
        await store.delete(key)
