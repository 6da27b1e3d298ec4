"""The bench upstream: valid answers, per-model delay, keep-alive and pipelining in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import orjson
import pytest
from upstream import UpstreamProtocol, completion_body, request_delay_s


@pytest.fixture
async def upstream_port() -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    completion = completion_body()
    server = await loop.create_server(lambda: UpstreamProtocol(0.0, completion), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


def chat_request(model: str) -> bytes:
    body = orjson.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, object]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length"))
    return status, orjson.loads(await reader.readexactly(length))


def test_delay_comes_from_the_model_name() -> None:
    assert request_delay_s(b'{"model":"bench-model-d50","messages":[]}', 0) == 0.05
    assert request_delay_s(b'{"model": "bench-model", "x": "y-d9"}', 7) == 0.007


async def test_answers_a_chat_completion_with_usage(upstream_port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", upstream_port)
    try:
        writer.write(chat_request("bench-model"))
        status, body = await read_response(reader)
        assert status == 200
        assert body["object"] == "chat.completion"
        assert body["usage"] == {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    finally:
        writer.close()
        await writer.wait_closed()


async def test_pipelined_answers_keep_request_order_despite_delays(upstream_port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", upstream_port)
    try:
        started = time.perf_counter()
        # The first request waits 40 ms, the second none: the second answer must still come second.
        writer.write(
            chat_request("bench-model-d40") + chat_request("bench-model") + b"GET /nope HTTP/1.1\r\n\r\n"
        )
        statuses = [(await read_response(reader))[0] for _ in range(3)]
        assert statuses == [200, 200, 404]
        assert time.perf_counter() - started >= 0.035
    finally:
        writer.close()
        await writer.wait_closed()
