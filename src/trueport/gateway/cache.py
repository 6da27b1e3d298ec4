"""The response cache: opt-in per model alias (``cache_ttl_s``), exact match on the normalised request.

The key is a hash of the tenant, the alias and the request with its keys sorted, so equal requests
written differently still match and no tenant ever sees another's answers. Only clean 200 answers
are stored (no fallback, no broken stream); streams are stored byte for byte and replayed. Hits are
marked ``x-trueport-cache: hit``, recorded with no tokens and no cost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import orjson

from trueport.gateway.call import Call
from trueport.gateway.replay import KeyValueStore, ResponseCapture, StoredResponse, send_stored
from trueport.jsonutil import JSONObject

HIT_HEADER = (b"x-trueport-cache", b"hit")
MISS_HEADER = (b"x-trueport-cache", b"miss")


def cache_key(tenant_id: str, path: str, request: JSONObject) -> str:
    normalised = orjson.dumps(request, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(path.encode() + b"\n" + normalised).hexdigest()
    return f"response_cache:{tenant_id}:{digest}"


async def run_cached(
    store: KeyValueStore, call: Call, key: str, ttl_s: float, run: Callable[[], Awaitable[None]]
) -> None:
    blob = await store.get(key)
    if blob is not None:
        call.record.served_from = "cache"
        call.response_started = True
        await send_stored(
            call.send, StoredResponse.decode(blob), [(b"x-request-id", call.record.id.encode()), HIT_HEADER]
        )
        return
    call.headers.append(MISS_HEADER)
    capture = ResponseCapture(call.send)
    call.send = capture
    await run()
    stored = capture.stored()
    if (
        stored is not None
        and stored.status == 200
        and call.record.error_class is None
        and not call.record.fallback
    ):
        await store.set(key, stored.encode(), ttl_s)
