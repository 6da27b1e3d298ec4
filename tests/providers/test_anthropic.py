"""``AnthropicAdapter`` against a small Anthropic emulator on a local port.

The emulator records each request (path, headers, JSON body) and answers with whatever the test
scripted: a JSON message, an error status, or SSE events, optionally cut off before the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import aiohttp.web
import pytest

from trueport.errors import UnsupportedOperation, UpstreamStatus, UpstreamStreamBroken
from trueport.jsonutil import dumps, loads
from trueport.providers.anthropic import AnthropicAdapter
from trueport.providers.base import Usage
from trueport.settings import ProviderConfig

API_KEY = "sk-ant-provider-secret"
MODEL = "claude-sonnet-4-5"

MESSAGE = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [{"type": "text", "text": "Hello!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 12,
        "output_tokens": 3,
        "cache_read_input_tokens": 40,
        "cache_creation_input_tokens": 8,
    },
}


def event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + dumps({"type": name, **data}) + b"\n\n"


START = {
    "message": {
        **MESSAGE,
        "content": [],
        "stop_reason": None,
        "usage": {
            "input_tokens": 12,
            "output_tokens": 1,
            "cache_read_input_tokens": 40,
            "cache_creation_input_tokens": 0,
        },
    }
}
TEXT_STREAM = [
    event("message_start", START),
    event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
    event("ping", {}),
    event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
    event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": "lo!"}}),
    event("content_block_stop", {"index": 0}),
    event(
        "message_delta",
        {"delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 9}},
    ),
    event("message_stop", {}),
]
TOOL_STREAM = [
    event("message_start", START),
    event(
        "content_block_start",
        {
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
        },
    ),
    event(
        "content_block_delta", {"index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"city":'}}
    ),
    event(
        "content_block_delta", {"index": 0, "delta": {"type": "input_json_delta", "partial_json": '"Rome"}'}}
    ),
    event("content_block_stop", {"index": 0}),
    event(
        "message_delta",
        {"delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 15}},
    ),
    event("message_stop", {}),
]


@dataclass
class Emulator:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    body: bytes = dumps(MESSAGE)
    events: list[bytes] = field(default_factory=list)

    @property
    def last(self) -> dict[str, Any]:
        return self.requests[-1]


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emu = Emulator(url="")

    async def messages(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        emu.requests.append(
            {"path": request.path, "headers": request.headers.copy(), "body": loads(await request.read())}
        )
        if emu.status != 200 or not emu.requests[-1]["body"].get("stream"):
            return aiohttp.web.Response(status=emu.status, body=emu.body, content_type="application/json")
        response = aiohttp.web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for item in emu.events:
            await response.write(item)
        await response.write_eof()
        return response

    app = aiohttp.web.Application()
    app.router.add_post("/v1/messages", messages)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    emu.url = f"http://{host}:{port}"
    yield emu
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def make_adapter(
    emulator: Emulator, http: aiohttp.ClientSession, *, base_url: str | None = None, api_key: str = API_KEY
) -> AnthropicAdapter:
    config = ProviderConfig.model_validate(
        {
            "type": "anthropic",
            "base_url": base_url or emulator.url,
            "api_key": api_key,
            "timeout_s": 5,
            "stream_idle_timeout_s": 5,
        }
    )
    return AnthropicAdapter("claude-main", config, http)


@pytest.fixture
def adapter(emulator: Emulator, http: aiohttp.ClientSession) -> AnthropicAdapter:
    return make_adapter(emulator, http)


CHAT = {
    "model": "alias",
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
}
NATIVE = {
    "model": "alias",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hi"}],
    "some_future_field": {"kept": True},
}


def assert_provider_headers(request: dict[str, Any]) -> None:
    assert request["path"] == "/v1/messages"
    assert request["headers"]["x-api-key"] == API_KEY
    assert request["headers"]["anthropic-version"] == "2023-06-01"
    assert request["headers"]["content-type"] == "application/json"
    assert "Authorization" not in request["headers"]


# --- translated (canonical) --------------------------------------------------------------------------


async def test_chat_translates_request_and_answer(emulator: Emulator, adapter: AnthropicAdapter) -> None:
    completion = await adapter.chat(dict(CHAT, stream=True), MODEL)
    assert_provider_headers(emulator.last)
    sent = emulator.last["body"]
    assert sent["model"] == MODEL
    assert sent["system"] == "Be brief."
    assert sent["max_tokens"] > 0
    assert "stream" not in sent
    assert completion.body["object"] == "chat.completion"
    assert completion.body["choices"][0]["message"]["content"] == "Hello!"
    assert completion.usage == Usage(prompt_tokens=60, completion_tokens=3, cached_tokens=40)
    assert completion.raw is None  # the body is a translation, not upstream bytes


async def test_chat_stream_yields_canonical_chunks(emulator: Emulator, adapter: AnthropicAdapter) -> None:
    emulator.events = TEXT_STREAM
    stream = await adapter.chat_stream(CHAT, MODEL)
    chunks = [chunk async for chunk in stream]
    await stream.aclose()
    assert emulator.last["body"]["stream"] is True
    assert_provider_headers(emulator.last)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Hello!"
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == 9
    assert stream.usage == Usage(prompt_tokens=52, completion_tokens=9, cached_tokens=40)


async def test_chat_stream_tool_call(emulator: Emulator, adapter: AnthropicAdapter) -> None:
    emulator.events = TOOL_STREAM
    stream = await adapter.chat_stream(CHAT, MODEL)
    calls = [call for chunk in stream_chunks(await collect(stream)) for call in chunk.get("tool_calls", [])]
    assert calls[0]["id"] == "toolu_1"
    assert calls[0]["function"]["name"] == "get_weather"
    assert "".join(call["function"]["arguments"] for call in calls) == '{"city":"Rome"}'


async def collect(stream: Any) -> list[Any]:
    return [chunk async for chunk in stream]


def stream_chunks(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk["choices"][0]["delta"] for chunk in chunks if chunk["choices"]]


@pytest.mark.parametrize("native", [False, True])
async def test_cut_stream_raises_stream_broken(
    emulator: Emulator, adapter: AnthropicAdapter, native: bool
) -> None:
    emulator.events = TEXT_STREAM[:4]  # the connection ends cleanly, but before message_stop
    stream = await (adapter.messages_stream(NATIVE, MODEL) if native else adapter.chat_stream(CHAT, MODEL))
    received: list[Any] = []
    with pytest.raises(UpstreamStreamBroken, match="without message_stop") as caught:
        async for item in stream:
            received.append(item)
    await stream.aclose()
    await stream.aclose()  # safe twice
    assert received  # the part before the cut did arrive
    assert caught.value.provider == "claude-main"
    assert caught.value.retryable is False


@pytest.mark.parametrize("native", [False, True])
async def test_error_event_raises_stream_broken(
    emulator: Emulator, adapter: AnthropicAdapter, native: bool
) -> None:
    error = event("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})
    emulator.events = [*TEXT_STREAM[:3], error]
    stream = await (adapter.messages_stream(NATIVE, MODEL) if native else adapter.chat_stream(CHAT, MODEL))
    with pytest.raises(UpstreamStreamBroken, match="Overloaded"):
        await collect(stream)


async def test_embeddings_are_unsupported(emulator: Emulator, adapter: AnthropicAdapter) -> None:
    with pytest.raises(UnsupportedOperation, match="claude-main"):
        await adapter.embeddings({"model": "x", "input": "hello"}, MODEL)
    assert emulator.requests == []


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, True),
        (403, True),
        (404, False),
        (413, False),
        (429, True),
        (500, True),
        (529, True),
    ],
)
@pytest.mark.parametrize("call", ["chat", "chat_stream", "messages", "messages_stream"])
async def test_error_status_maps_to_upstream_status(
    emulator: Emulator, adapter: AnthropicAdapter, status: int, retryable: bool, call: str
) -> None:
    emulator.status = status
    emulator.body = dumps({"type": "error", "error": {"type": "some_error", "message": f"nope {status}"}})
    request = NATIVE if call.startswith("messages") else CHAT
    with pytest.raises(UpstreamStatus) as caught:
        await getattr(adapter, call)(request, MODEL)
    assert caught.value.status == status
    assert caught.value.retryable is retryable
    assert caught.value.provider == "claude-main"
    assert f"nope {status}" in caught.value.message


# --- native pass-through -----------------------------------------------------------------------------


async def test_native_message_returns_upstream_bytes(emulator: Emulator, adapter: AnthropicAdapter) -> None:
    emulator.body = (
        b'{"id": "msg_01",   "type": "message", "content": [], "usage": '
        b'{"input_tokens": 7, "output_tokens": 2, "cache_read_input_tokens": 3}}'
    )
    native = await adapter.messages(dict(NATIVE, stream=False), MODEL)
    assert native.raw == emulator.body  # unchanged, spacing included
    assert native.body["id"] == "msg_01"
    assert native.usage == Usage(prompt_tokens=10, completion_tokens=2, cached_tokens=3)
    assert_provider_headers(emulator.last)
    sent = emulator.last["body"]
    assert sent["model"] == MODEL  # the target's model, not the client's alias
    assert sent["some_future_field"] == {"kept": True}
    assert "stream" not in sent


async def test_native_stream_yields_events_unchanged(emulator: Emulator, adapter: AnthropicAdapter) -> None:
    emulator.events = TEXT_STREAM
    stream = await adapter.messages_stream(NATIVE, MODEL)
    items = await collect(stream)
    await stream.aclose()
    assert emulator.last["body"]["stream"] is True
    assert emulator.last["body"]["model"] == MODEL
    assert_provider_headers(emulator.last)
    names = [name for name, _raw, _data in items]
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    resent = [b"event: " + name.encode() + b"\ndata: " + raw + b"\n\n" for name, raw, _data in items]
    assert resent == TEXT_STREAM  # the gateway can forward exactly what Anthropic sent
    assert items[3][2]["delta"]["text"] == "Hel"
    assert stream.usage == Usage(prompt_tokens=52, completion_tokens=9, cached_tokens=40)


# --- configuration -----------------------------------------------------------------------------------


async def test_base_url_may_end_in_v1(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    await make_adapter(emulator, http, base_url=f"{emulator.url}/v1").chat(CHAT, MODEL)
    assert emulator.last["path"] == "/v1/messages"


async def test_no_key_sends_no_key_header(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    await make_adapter(emulator, http, api_key="").chat(CHAT, MODEL)
    assert "x-api-key" not in emulator.last["headers"]
