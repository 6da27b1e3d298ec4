"""``OpenAIAdapter.responses`` / ``responses_stream`` (native pass-through) against a scripted server.

The server records each request and answers with the bytes the test set: a JSON body or SSE events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import aiohttp.web
import pytest

from trueport.errors import UpstreamMalformed, UpstreamStatus, UpstreamStreamBroken
from trueport.jsonutil import dumps, loads
from trueport.providers.base import Usage
from trueport.providers.openai import OpenAIAdapter
from trueport.providers.openai_responses import usage_from_responses
from trueport.settings import ProviderConfig

USAGE = {
    "input_tokens": 9,
    "input_tokens_details": {"cached_tokens": 4},
    "output_tokens": 2,
    "total_tokens": 11,
}
RESPONSE = {"id": "resp_1", "object": "response", "status": "completed", "output": [], "usage": USAGE}
REQUEST = {
    "model": "alias",
    "input": "hi",
    "tools": [{"type": "web_search"}],
    "previous_response_id": "resp_0",
}


def event(name: str, **data: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + dumps({"type": name, **data}) + b"\n\n"


CREATED = event("response.created", response={**RESPONSE, "status": "in_progress", "usage": None})
DELTA = event("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta="Hi")
COMPLETED = event("response.completed", response=RESPONSE)


@dataclass
class Server:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    body: bytes = dumps(RESPONSE)
    events: list[bytes] = field(default_factory=list)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()

    async def responses(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        body = loads(await request.read())
        state.requests.append(
            {"path": request.path, "auth": request.headers.get("Authorization"), "body": body}
        )
        if state.status != 200 or not body.get("stream"):
            return aiohttp.web.Response(status=state.status, body=state.body, content_type="application/json")
        response = aiohttp.web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for item in state.events:
            await response.write(item)
        await response.write_eof()
        return response

    app = aiohttp.web.Application()
    app.router.add_post("/v1/responses", responses)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}"
    yield state
    await runner.cleanup()


@pytest.fixture
async def adapter(server: Server) -> AsyncIterator[OpenAIAdapter]:
    config = ProviderConfig.model_validate(
        {
            "type": "openai",
            "base_url": f"{server.url}/v1",
            "api_key": "sk-x",
            "timeout_s": 5,
            "stream_idle_timeout_s": 5,
        }
    )
    async with aiohttp.ClientSession() as http:
        yield OpenAIAdapter("oa", config, http)


async def test_a_request_passes_through_with_the_targets_model(
    server: Server, adapter: OpenAIAdapter
) -> None:
    answer = await adapter.responses({**REQUEST, "stream": False}, "gpt-4o")
    assert answer.raw == server.body  # the bytes as received
    assert answer.body["id"] == "resp_1"
    assert answer.usage == Usage(prompt_tokens=9, completion_tokens=2, cached_tokens=4)
    sent = server.requests[-1]
    assert sent["path"] == "/v1/responses"
    assert sent["auth"] == "Bearer sk-x"
    assert sent["body"] == {**REQUEST, "model": "gpt-4o"}  # everything else unchanged, no stream flag


async def test_an_answer_that_is_not_a_response_is_malformed(server: Server, adapter: OpenAIAdapter) -> None:
    server.body = dumps({"choices": []})
    with pytest.raises(UpstreamMalformed):
        await adapter.responses(REQUEST, "gpt-4o")


async def test_an_error_status_is_an_upstream_error(server: Server, adapter: OpenAIAdapter) -> None:
    server.status, server.body = 400, dumps({"error": {"message": "Previous response not found."}})
    with pytest.raises(UpstreamStatus) as failed:
        await adapter.responses(REQUEST, "gpt-4o")
    assert failed.value.status == 400


async def test_a_stream_passes_events_through(server: Server, adapter: OpenAIAdapter) -> None:
    server.events = [CREATED, DELTA, COMPLETED]
    stream = await adapter.responses_stream(REQUEST, "gpt-4o")
    items = [item async for item in stream]
    assert [name for name, _raw, _data in items] == [
        "response.created",
        "response.output_text.delta",
        "response.completed",
    ]
    assert b"data: " + items[1][1] + b"\n\n" == DELTA.split(b"\n", 1)[1]  # the data bytes, unchanged
    assert stream.response_id == "resp_1"
    assert stream.usage == Usage(prompt_tokens=9, completion_tokens=2, cached_tokens=4)
    assert server.requests[-1]["body"]["stream"] is True


async def test_an_error_event_breaks_the_stream(server: Server, adapter: OpenAIAdapter) -> None:
    server.events = [CREATED, event("error", code="server_error", message="boom")]
    stream = await adapter.responses_stream(REQUEST, "gpt-4o")
    with pytest.raises(UpstreamStreamBroken):
        [item async for item in stream]


async def test_a_stream_without_its_terminal_event_is_broken(server: Server, adapter: OpenAIAdapter) -> None:
    server.events = [CREATED, DELTA]
    stream = await adapter.responses_stream(REQUEST, "gpt-4o")
    with pytest.raises(UpstreamStreamBroken):
        [item async for item in stream]


async def test_a_bad_event_is_malformed(server: Server, adapter: OpenAIAdapter) -> None:
    server.events = [CREATED, b"data: {not json\n\n"]
    stream = await adapter.responses_stream(REQUEST, "gpt-4o")
    with pytest.raises(UpstreamStreamBroken) as broken:
        [item async for item in stream]
    assert broken.value.malformed


def test_usage_counts_are_checked() -> None:
    assert usage_from_responses(None) == Usage()
    assert usage_from_responses({"input_tokens": -1, "output_tokens": 2}).invalid
    assert usage_from_responses({"input_tokens": 3, "output_tokens": "2"}).invalid
    assert usage_from_responses({"input_tokens": 3, "output_tokens": 2}) == Usage(3, 2)
