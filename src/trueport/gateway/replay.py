"""Capturing a whole response as it is sent, and sending a stored one again.

Used by idempotency keys and the response cache. A stored response is one blob: a JSON header
line (status, headers, metadata) and the raw body bytes after it, so SSE streams replay byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from trueport.gateway.asgi import Headers, Message, Send
from trueport.jsonutil import JSONObject, dumps, loads_object

MAX_STORED_BODY = 1024 * 1024  # larger answers are not stored (they run again instead of replaying)

# Headers that describe this answer only, never replayed from a stored one.
_PER_CALL = {
    b"x-request-id",
    b"content-length",
    b"x-ratelimit-remaining-requests",
    b"x-ratelimit-reset-requests",
    b"x-ratelimit-limit-requests",
    b"x-ratelimit-limit-tokens",
    b"x-ratelimit-remaining-tokens",
    b"x-ratelimit-reset-tokens",
    b"x-trueport-cache",
    b"x-trueport-idempotent-replay",
    b"retry-after",
}


class KeyValueStore(Protocol):
    """The slice of the shared state that replays need (memory or Redis; see ``trueport.state``)."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    async def set_if_absent(self, key: str, value: bytes, ttl_s: float) -> bool: ...

    async def delete(self, key: str) -> None: ...


@dataclass(slots=True)
class StoredResponse:
    status: int
    headers: Headers
    body: bytes
    meta: JSONObject = field(default_factory=dict)

    def encode(self) -> bytes:
        head = {
            "status": self.status,
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers],
            "meta": self.meta,
        }
        return dumps(head) + b"\n" + self.body

    @classmethod
    def decode(cls, blob: bytes) -> StoredResponse:
        head_raw, _, body = blob.partition(b"\n")
        head = loads_object(head_raw)
        headers = [(str(k).encode("latin-1"), str(v).encode("latin-1")) for k, v in head["headers"]]
        return cls(status=int(head["status"]), headers=headers, body=body, meta=dict(head.get("meta") or {}))


class ResponseCapture:
    """Wraps ``send``: forwards every message and keeps a copy (up to ``MAX_STORED_BODY``)."""

    def __init__(self, send: Send):
        self._send = send
        self.status = 0
        self.headers: Headers = []
        self._chunks: list[bytes] = []
        self._size = 0
        self.complete = False
        self.overflow = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _PER_CALL]
        elif message["type"] == "http.response.body":
            body: bytes = message.get("body", b"")
            self._size += len(body)
            if self._size > MAX_STORED_BODY:
                self.overflow = True
            elif body:
                self._chunks.append(body)
            if not message.get("more_body", False):
                self.complete = True
        await self._send(message)

    def stored(self, meta: JSONObject | None = None) -> StoredResponse | None:
        """The response as sent, if it is whole and small enough to keep."""
        if not self.complete or self.overflow:
            return None
        return StoredResponse(self.status, self.headers, b"".join(self._chunks), meta or {})


async def send_stored(send: Send, stored: StoredResponse, extra: Headers) -> None:
    await send({"type": "http.response.start", "status": stored.status, "headers": [*stored.headers, *extra]})
    await send({"type": "http.response.body", "body": stored.body})
