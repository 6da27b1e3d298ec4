"""The bare pass-through forwards the body to the upstream and returns its answer unchanged."""

from __future__ import annotations

import asyncio
import re
import socket

import aiohttp
import orjson
import uvicorn
from passthrough import create_app
from upstream import UpstreamProtocol, completion_body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_forwards_and_returns_the_upstream_body() -> None:
    loop = asyncio.get_running_loop()
    completion = completion_body()
    upstream = await loop.create_server(lambda: UpstreamProtocol(0.0, completion), "127.0.0.1", 0)
    upstream_port = upstream.sockets[0].getsockname()[1]
    port = free_port()
    app = create_app(f"http://127.0.0.1:{upstream_port}/v1", "bench-upstream-key")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.02)
        async with aiohttp.ClientSession() as session:
            body = orjson.dumps({"model": "bench-model", "messages": []})
            async with session.post(f"http://127.0.0.1:{port}/v1/chat/completions", data=body) as response:
                assert response.status == 200
                answer = await response.read()
                # the upstream's answer as it sent it: the template with this answer's number
                assert re.fullmatch(rb"\d{8}", answer.split(b"answer ")[1][:8])
                assert answer.replace(answer.split(b"answer ")[1][:8], b"NNNNNNNN") == completion
    finally:
        server.should_exit = True
        await serving
        upstream.close()
        await upstream.wait_closed()
