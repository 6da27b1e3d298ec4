"""A fast, local OpenAI-compatible upstream for the benchmark.

A raw asyncio ``Protocol`` on uvloop with httptools parsing: HTTP/1.1 keep-alive (and pipelining),
one fixed small ``chat.completion`` body with usage for every ``POST .../chat/completions``. It does
as little as possible so that the systems under test, never the upstream, are the bottleneck.

Delay: ``--delay-ms`` applies to every completion. A model name ending in ``-d<N>`` (for example
``bench-model-d50``) asks for an ``N`` ms delay instead, so one upstream process serves both the
saturation test (no delay) and the fixed-rate latency test (50 ms) without restarting anything.

Run: ``python bench/upstream.py --port 9000 [--delay-ms 0]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import signal
import time
from typing import cast

import httptools
import orjson
import uvloop

_MODEL_DELAY = re.compile(rb'"model"\s*:\s*"[^"]*?-d(\d{1,5})"')
_MAX_BODY = 1 << 20


_ANSWER_NUMBER = b"NNNNNNNN"  # replaced by a counter: every answer's text differs, as real answers do
_answers = itertools.count(1)


def completion_body() -> bytes:
    """The answer template: a small, valid ``chat.completion`` object with usage; ``numbered``
    gives each answer its own text (a guard must not see the same answer twice)."""
    return orjson.dumps(
        {
            "id": "chatcmpl-bench0000000000000000000000",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "bench-model",
            "system_fingerprint": "fp_bench",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "Hello from the bench upstream, answer " + _ANSWER_NUMBER.decode() + ".",
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
        }
    )


def numbered(completion: bytes) -> bytes:
    return completion.replace(_ANSWER_NUMBER, b"%08d" % (next(_answers) % 100_000_000), 1)


def http_response(status: str, body: bytes, *, keep_alive: bool) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def request_delay_s(body: bytes, default_ms: float) -> float:
    match = _MODEL_DELAY.search(body)
    return (int(match.group(1)) if match else default_ms) / 1000.0


class UpstreamProtocol(asyncio.Protocol):
    """One connection. Responses are written in request order (pipelining-safe)."""

    def __init__(self, delay_ms: float, completion: bytes) -> None:
        self._delay_ms = delay_ms
        self._completion = completion
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._body: list[bytes] = []
        self._body_size = 0
        self._pending: list[bytes | None] = []  # slots for answers, in request order
        self._first_slot = 0  # absolute index of self._pending[0]
        self._close_after = False

    # asyncio.Protocol ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but implement its interface.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        except httptools.HttpParserError:
            self._fail(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    # httptools callbacks ------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._body = []
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size <= _MAX_BODY:
            self._body.append(body)

    def on_message_complete(self) -> None:
        keep_alive = self._parser.should_keep_alive()
        method = self._parser.get_method()
        path = self._url.split(b"?", 1)[0]
        body = b"".join(self._body)
        slot = self._first_slot + len(self._pending)
        self._pending.append(None)
        if not keep_alive:
            self._close_after = True

        if method == b"POST" and path.endswith(b"/chat/completions"):
            if self._body_size > _MAX_BODY:
                self._answer(slot, http_response("413 Payload Too Large", b"{}", keep_alive=keep_alive))
                return
            answer = http_response("200 OK", numbered(self._completion), keep_alive=keep_alive)
            delay = request_delay_s(body, self._delay_ms)
            if delay > 0:
                asyncio.get_running_loop().call_later(delay, self._answer, slot, answer)
            else:
                self._answer(slot, answer)
        elif method == b"GET" and path in (b"/healthz", b"/health"):
            self._answer(slot, http_response("200 OK", b'{"status":"ok"}', keep_alive=keep_alive))
        elif method == b"GET" and path.endswith(b"/models"):
            models = b'{"object":"list","data":[{"id":"bench-model","object":"model","owned_by":"bench"}]}'
            self._answer(slot, http_response("200 OK", models, keep_alive=keep_alive))
        else:
            error = b'{"error":{"message":"not found","type":"invalid_request_error","code":null}}'
            self._answer(slot, http_response("404 Not Found", error, keep_alive=keep_alive))

    # helpers ------------------------------------------------------------------------------------
    def _answer(self, slot: int, data: bytes) -> None:
        index = slot - self._first_slot
        if index < 0 or index >= len(self._pending):
            return
        self._pending[index] = data
        ready = 0
        for item in self._pending:
            if item is None:
                break
            ready += 1
        if not ready:
            return
        out = self._pending[:ready]
        del self._pending[:ready]
        self._first_slot += ready
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(b"".join(chunk for chunk in out if chunk is not None))
        if self._close_after and not self._pending:
            transport.close()

    def _fail(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)
            self._transport.close()


async def serve(host: str, port: int, delay_ms: float) -> None:
    loop = asyncio.get_running_loop()
    completion = completion_body()
    server = await loop.create_server(
        lambda: UpstreamProtocol(delay_ms, completion), host, port, backlog=4096, reuse_address=True
    )
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"upstream listening on http://{host}:{port} (default delay {delay_ms} ms)", flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="delay of every completion")
    args = parser.parse_args()
    uvloop.run(serve(args.host, args.port, args.delay_ms))


if __name__ == "__main__":
    main()
