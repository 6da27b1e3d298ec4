"""Scripted upstream answers: the emulator answers exactly the bytes a test queued, for fuzzing.

A test queues answers with ``POST /_scripted/answers`` (a JSON array, appended in order) and points a
provider at ``http://<emulator>/scripted`` (Anthropic, Gemini) or ``.../scripted/v1`` (OpenAI); every
request under ``/scripted/`` then takes the next answer off the queue, whatever its path or body.
``DELETE /_scripted/answers`` empties the queue. An answer is an object:

- ``status`` (default 200) and ``content_type`` (default ``application/json``);
- ``body``: the whole body, base64; or ``chunks``: a list of base64 pieces written one by one with a
  flush between them (a stream, an SSE body cut anywhere).

With nothing queued the answer is a 599 with a plain-text body, which no gateway should mistake for
a success.
"""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import dataclass

from aiohttp import web

from trueport.jsonutil import JSONDecodeError, loads


@dataclass(frozen=True, slots=True)
class ScriptedAnswer:
    status: int
    content_type: str
    pieces: tuple[bytes, ...]
    streamed: bool


QUEUE = web.AppKey("trueport.mockprovider.scripted.queue", deque[ScriptedAnswer])


def _decode(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("body and chunks are base64 strings")
    return base64.b64decode(value, validate=True)


def parse_answer(value: object) -> ScriptedAnswer:
    if not isinstance(value, dict):
        raise ValueError("each answer is an object")
    status = value.get("status", 200)
    if not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError("status is an integer from 200 to 599")
    content_type = value.get("content_type", "application/json")
    if not isinstance(content_type, str):
        raise ValueError("content_type is a string")
    chunks = value.get("chunks")
    if chunks is not None:
        if not isinstance(chunks, list):
            raise ValueError("chunks is a list")
        return ScriptedAnswer(status, content_type, tuple(_decode(c) for c in chunks), streamed=True)
    return ScriptedAnswer(status, content_type, (_decode(value.get("body", "")),), streamed=False)


async def _queue(request: web.Request) -> web.StreamResponse:
    try:
        answers = loads(await request.read())
        if not isinstance(answers, list):
            raise ValueError("the body is a JSON array of answers")
        parsed = [parse_answer(answer) for answer in answers]
    except (JSONDecodeError, ValueError) as error:
        return web.Response(status=400, text=str(error))
    request.app[QUEUE].extend(parsed)
    return web.json_response({"queued": len(request.app[QUEUE])})


async def _clear(request: web.Request) -> web.StreamResponse:
    request.app[QUEUE].clear()
    return web.json_response({"queued": 0})


async def _answer(request: web.Request) -> web.StreamResponse:
    await request.read()
    queue = request.app[QUEUE]
    if not queue:
        return web.Response(status=599, text="no scripted answer queued")
    answer = queue.popleft()
    if not answer.streamed:
        return web.Response(
            status=answer.status,
            body=answer.pieces[0],
            content_type=None,
            headers={"Content-Type": answer.content_type},
        )
    response = web.StreamResponse(status=answer.status, headers={"Content-Type": answer.content_type})
    await response.prepare(request)
    for piece in answer.pieces:
        await response.write(piece)
    await response.write_eof()
    return response


def install(app: web.Application) -> None:
    """Serve ``/_scripted/answers`` and every path under ``/scripted/``; before the catch-all route."""
    app[QUEUE] = deque()
    app.router.add_post("/_scripted/answers", _queue)
    app.router.add_delete("/_scripted/answers", _clear)
    app.router.add_route("*", "/scripted/{tail:.*}", _answer)
