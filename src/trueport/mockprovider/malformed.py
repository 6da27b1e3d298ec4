"""Malformed upstream answers, for testing that the gateway survives a hostile or broken provider.

Served under ``/malformed/{mode}/``, so a provider configured with
``base_url: http://<emulator>/malformed/huge=600/v1`` answers every OpenAI chat call in that mode.
Nothing is checked (no credential, no body): the point is the answer. ``GET /malformed/_hits``
counts the calls per mode (a retried call shows as two).

====================  ===========================================================================
``huge=MIB``          a 200 of MIB mebibytes of non-JSON bytes, without a Content-Length, written
                      in 64 KiB pieces (never built in memory); a stream gets one ``data:`` line
                      of that size
``huge-declared=MIB`` the same, with a Content-Length that says so
``not-json``          a 200 whose body is HTML
``nan``               a 200 whose JSON has a bare ``NaN``
``choices-nope``      a 200 chat completion whose ``choices`` is the string ``"nope"``; in a
                      stream, the second chunk's
``wrong-types``       a 200 whose choices hold strings, not objects
``long-line=KIB``     streams: one valid content chunk, then one valid chunk of KIB kibibytes on a
                      single line, then ``[DONE]``
``echo-key``          a 500 whose error message quotes the request's Authorization header
====================  ===========================================================================
"""

from __future__ import annotations

from aiohttp import web

from trueport.jsonutil import JSONObject, dumps, loads

HITS = web.AppKey("trueport.mockprovider.malformed.hits", dict[str, int])
_PIECE = b"x" * (64 * 1024)
_MIB = 1024 * 1024


def _chunk(content: str, *, finish: str | None = None) -> JSONObject:
    return {
        "id": "chatcmpl-malformed",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "malformed",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }


def _completion(choices: object) -> bytes:
    return dumps(
        {
            "id": "chatcmpl-malformed",
            "object": "chat.completion",
            "created": 0,
            "model": "malformed",
            "choices": choices,
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


async def _huge(request: web.Request, mib: int, *, declared: bool, stream: bool) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream" if stream else "application/json"}
    )
    total = mib * _MIB
    if declared:
        response.content_length = total + (6 if stream else 0)
    await response.prepare(request)
    if stream:
        await response.write(b"data: ")
    sent = 0
    while sent < total:
        piece = _PIECE[: min(len(_PIECE), total - sent)]
        await response.write(piece)
        sent += len(piece)
    await response.write_eof()
    return response


async def _sse(request: web.Request, events: list[bytes]) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for event in events:
        await response.write(event)
    await response.write_eof()
    return response


def _data(payload: JSONObject | bytes) -> bytes:
    return b"data: " + (payload if isinstance(payload, bytes) else dumps(payload)) + b"\n\n"


async def _answer(request: web.Request) -> web.StreamResponse:
    hits = request.app[HITS]
    hits[request.match_info["mode"]] = hits.get(request.match_info["mode"], 0) + 1
    mode, _, raw_value = request.match_info["mode"].partition("=")
    value = int(raw_value) if raw_value.isdigit() else 0
    try:
        body = loads(await request.read())
    except ValueError:
        body = {}
    stream = isinstance(body, dict) and body.get("stream") is True
    if mode in ("huge", "huge-declared"):
        return await _huge(request, value, declared=mode == "huge-declared", stream=stream)
    if mode == "not-json":
        return web.Response(
            body=b"<html><body>502 Bad Gateway</body></html>", content_type="application/json"
        )
    if mode == "nan":
        return web.Response(body=b'{"choices": NaN}', content_type="application/json")
    if mode == "choices-nope":
        if stream:
            nope = dict(_chunk(""), choices="nope")
            return await _sse(request, [_data(_chunk("first ")), _data(nope), _data(b"[DONE]")])
        return web.Response(body=_completion("nope"), content_type="application/json")
    if mode == "wrong-types":
        if stream:
            return await _sse(request, [_data(dict(_chunk(""), choices=["a", "b"])), _data(b"[DONE]")])
        return web.Response(body=_completion(["a", "b"]), content_type="application/json")
    if mode == "long-line":
        long = _chunk("y" * (value * 1024))
        events = [_data(_chunk("first ")), _data(long), _data(_chunk("", finish="stop")), _data(b"[DONE]")]
        return await _sse(request, events)
    if mode == "echo-key":
        secret = request.headers.get("Authorization", "")
        error = {"error": {"message": f"upstream exploded; you sent {secret}", "type": "server_error"}}
        return web.Response(status=500, body=dumps(error), content_type="application/json")
    return web.Response(status=404, text=f"unknown malformed mode {mode!r}")


async def _hits(request: web.Request) -> web.StreamResponse:
    return web.Response(body=dumps(request.app[HITS]), content_type="application/json")


def install(app: web.Application) -> None:
    """Serve ``POST /malformed/{mode}/v1/chat/completions`` and ``GET /malformed/_hits`` (calls per
    mode); before the emulator's catch-all route."""
    app[HITS] = {}
    app.router.add_get("/malformed/_hits", _hits)
    app.router.add_post("/malformed/{mode}/v1/chat/completions", _answer)
