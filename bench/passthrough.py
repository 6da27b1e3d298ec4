"""The bare pass-through: the floor for a Python proxy.

A minimal Starlette app on uvicorn (one worker, uvloop + httptools, no access log) that forwards the
request body of ``POST /v1/chat/completions`` to the upstream through one shared aiohttp
``ClientSession`` and returns the upstream's status and body. No auth, no parsing, no records: whatever
a real gateway costs on top of this is the price of its features (and of its implementation).

Run: ``python bench/passthrough.py --port 9100 --upstream http://127.0.0.1:9000/v1``
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_app(upstream: str, upstream_key: str) -> Starlette:
    completions_url = upstream.rstrip("/") + "/chat/completions"
    headers = {"content-type": "application/json", "authorization": f"Bearer {upstream_key}"}
    session: aiohttp.ClientSession | None = None

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        nonlocal session
        connector = aiohttp.TCPConnector(limit=1024, keepalive_timeout=60)
        session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60))
        try:
            yield
        finally:
            await session.close()

    async def chat_completions(request: Request) -> Response:
        assert session is not None
        body = await request.body()
        async with session.post(completions_url, data=body, headers=headers) as upstream_response:
            content = await upstream_response.read()
            return Response(content, status_code=upstream_response.status, media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--upstream", default="http://127.0.0.1:9000/v1", help="upstream base URL")
    parser.add_argument("--upstream-key", default="bench-upstream-key")
    args = parser.parse_args()
    app = create_app(args.upstream, args.upstream_key)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        workers=1,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="on",
    )


if __name__ == "__main__":
    main()
