"""The Gemini adapter against a small Gemini API emulator on a local port.

The emulator answers by model name: ``gemini-ok`` with text, ``gemini-tools`` with a function call,
``status-<code>`` with that error status, ``cut``/``drop``/``stream-error`` with broken streams, and
``embed``/``embed-short`` for embeddings.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import orjson
import pytest
from aiohttp import web
from pydantic import SecretStr

from trueport.errors import InvalidRequest, UpstreamStatus, UpstreamStreamBroken
from trueport.jsonutil import JSONObject
from trueport.providers.base import ChatStream, Usage
from trueport.providers.gemini import GeminiAdapter
from trueport.settings import ProviderConfig

API_KEY = "AIza-test-key-not-real-0123456789"
USAGE = {
    "promptTokenCount": 12,
    "candidatesTokenCount": 4,
    "cachedContentTokenCount": 2,
    "totalTokenCount": 16,
}


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: JSONObject


@dataclass
class FakeGemini:
    seen: list[Seen] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers), body))
        model, _, method = request.match_info["target"].partition(":")
        if model.startswith("status-"):
            status = int(model.removeprefix("status-"))
            error = {"error": {"code": status, "message": f"emulated {status}", "status": "X"}}
            return web.json_response(error, status=status)
        if method == "generateContent":
            return web.json_response(answer(model, finish=True) | {"usageMetadata": USAGE})
        if method == "streamGenerateContent":
            return await self.stream(request, model)
        if method == "batchEmbedContents":
            count = len(body["requests"]) - (1 if model == "embed-short" else 0)
            return web.json_response({"embeddings": [{"values": [0.5, float(i)]} for i in range(count)]})
        raise web.HTTPNotFound

    async def stream(self, request: web.Request, model: str) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(event: JSONObject) -> None:
            await response.write(b"data: " + orjson.dumps(event) + b"\r\n\r\n")

        if model == "gemini-tools":
            await send(answer(model, finish=True) | {"usageMetadata": USAGE})
        else:
            for text in ("Hello", " wor"):
                await send({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}]})
            if model == "drop":
                assert request.transport is not None
                request.transport.abort()
                return response
            if model == "stream-error":
                await send({"error": {"code": 500, "message": "emulated failure", "status": "INTERNAL"}})
            elif model != "cut":
                await send(
                    {
                        "candidates": [{"content": {"parts": [{"text": "ld"}]}, "finishReason": "STOP"}],
                        "usageMetadata": USAGE,
                    }
                )
        await response.write_eof()
        return response


def answer(model: str, *, finish: bool) -> JSONObject:
    if model == "gemini-tools":
        parts: list[JSONObject] = [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]
    else:
        parts = [{"text": "Hello world"}]
    candidate: JSONObject = {"content": {"role": "model", "parts": parts}}
    if finish:
        candidate["finishReason"] = "STOP"
    return {"candidates": [candidate], "modelVersion": model}


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeGemini, str]]:
    emulator = FakeGemini()
    app = web.Application()
    app.router.add_post("/v1beta/models/{target}", emulator.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield emulator, f"http://{host}:{port}"
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def emulator(fake: tuple[FakeGemini, str]) -> FakeGemini:
    return fake[0]


@pytest.fixture
def adapter(fake: tuple[FakeGemini, str], http: aiohttp.ClientSession) -> GeminiAdapter:
    config = ProviderConfig(
        type="gemini", base_url=fake[1], api_key=SecretStr(API_KEY), stream_idle_timeout_s=5
    )
    return GeminiAdapter("google", config, http)


CHAT: JSONObject = {
    "model": "alias",
    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
}


def assert_key_in_header_only(seen: Seen) -> None:
    assert seen.headers["x-goog-api-key"] == API_KEY
    assert "key" not in seen.query
    assert API_KEY not in seen.path
    assert "Authorization" not in seen.headers


async def collect(stream: ChatStream) -> list[JSONObject]:
    return [chunk async for chunk in stream]


async def test_chat(adapter: GeminiAdapter, emulator: FakeGemini) -> None:
    completion = await adapter.chat(CHAT, "gemini-ok")
    assert completion.body["choices"][0]["message"] == {"role": "assistant", "content": "Hello world"}
    assert completion.body["model"] == "gemini-ok"
    assert completion.usage == Usage(prompt_tokens=12, completion_tokens=4, cached_tokens=2)
    assert completion.raw is None  # the body is a translation, not the upstream bytes
    (seen,) = emulator.seen
    assert seen.path == "/v1beta/models/gemini-ok:generateContent"
    assert_key_in_header_only(seen)
    assert seen.body == {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
    }


async def test_chat_with_tool_call(adapter: GeminiAdapter) -> None:
    completion = await adapter.chat(CHAT, "gemini-tools")
    choice = completion.body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
    }


async def test_model_resource_names_and_versioned_base_urls_are_accepted(
    fake: tuple[FakeGemini, str], http: aiohttp.ClientSession
) -> None:
    emulator, url = fake
    config = ProviderConfig(type="gemini", base_url=f"{url}/v1beta", api_key=SecretStr(API_KEY))
    await GeminiAdapter("google", config, http).chat(CHAT, "models/gemini-ok")
    assert emulator.seen[0].path == "/v1beta/models/gemini-ok:generateContent"


async def test_chat_stream_with_usage(adapter: GeminiAdapter, emulator: FakeGemini) -> None:
    request = CHAT | {"stream": True, "stream_options": {"include_usage": True}}
    stream = await adapter.chat_stream(request, "gemini-ok")
    chunks = await collect(stream)
    (seen,) = emulator.seen
    assert seen.path == "/v1beta/models/gemini-ok:streamGenerateContent"
    assert seen.query == {"alt": "sse"}
    assert_key_in_header_only(seen)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Hello world"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] == 16
    assert stream.usage == Usage(prompt_tokens=12, completion_tokens=4, cached_tokens=2)


@pytest.mark.parametrize("options", [{}, {"stream_options": {"include_usage": False}}])
async def test_chat_stream_sends_the_usage_chunk_only_when_asked(
    adapter: GeminiAdapter, options: JSONObject
) -> None:
    stream = await adapter.chat_stream(CHAT | {"stream": True} | options, "gemini-ok")
    chunks = await collect(stream)
    assert all(c["choices"] for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert stream.usage.total_tokens == 16  # metering still sees it


async def test_chat_stream_function_call(adapter: GeminiAdapter) -> None:
    stream = await adapter.chat_stream(CHAT | {"stream": True}, "gemini-tools")
    first, finish = [c["choices"][0] for c in await collect(stream)]
    (call,) = first["delta"]["tool_calls"]
    assert call["index"] == 0
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert finish["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("model", ["cut", "drop", "stream-error"])
async def test_broken_streams_raise_stream_broken(adapter: GeminiAdapter, model: str) -> None:
    stream = await adapter.chat_stream(CHAT | {"stream": True}, model)
    received: list[JSONObject] = []
    with pytest.raises(UpstreamStreamBroken) as caught:
        async for chunk in stream:
            received.append(chunk)
    assert received[0]["choices"][0]["delta"]["content"] == "Hello"  # the failure came after the first byte
    assert caught.value.retryable is False
    assert caught.value.provider == "google"
    if model == "stream-error":
        assert "emulated failure" in caught.value.message
    await stream.aclose()  # safe after a failure


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (404, False), (429, True), (500, True), (503, True)]
)
async def test_error_statuses(adapter: GeminiAdapter, status: int, retryable: bool) -> None:
    model = f"status-{status}"
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: adapter.chat(CHAT, model),
        lambda: adapter.chat_stream(CHAT | {"stream": True}, model),
        lambda: adapter.embeddings({"input": "x"}, model),
    ]
    for call in calls:
        with pytest.raises(UpstreamStatus) as caught:
            await call()
        assert caught.value.status == status
        assert caught.value.retryable is retryable
        assert f"emulated {status}" in caught.value.message
        assert API_KEY not in str(caught.value)


async def test_invalid_request_is_refused_before_calling(
    adapter: GeminiAdapter, emulator: FakeGemini
) -> None:
    with pytest.raises(InvalidRequest):
        await adapter.chat({"messages": [{"role": "user", "content": "x"}], "logprobs": True}, "gemini-ok")
    with pytest.raises(InvalidRequest):
        await adapter.embeddings({"input": [[1, 2, 3]]}, "embed")
    assert emulator.seen == []


async def test_embeddings(adapter: GeminiAdapter, emulator: FakeGemini) -> None:
    result = await adapter.embeddings({"input": ["first text", "second"], "dimensions": 2}, "embed")
    (seen,) = emulator.seen
    assert seen.path == "/v1beta/models/embed:batchEmbedContents"
    assert_key_in_header_only(seen)
    assert seen.body["requests"][1] == {
        "model": "models/embed",
        "content": {"parts": [{"text": "second"}]},
        "outputDimensionality": 2,
    }
    assert [d["embedding"] for d in result.body["data"]] == [[0.5, 0.0], [0.5, 1.0]]
    assert result.body["model"] == "embed"
    assert result.usage == Usage(prompt_tokens=5)  # estimated: 3 + 2
    assert result.body["usage"] == {"prompt_tokens": 5, "total_tokens": 5}


async def test_embeddings_as_base64_for_the_openai_sdk(adapter: GeminiAdapter) -> None:
    result = await adapter.embeddings({"input": ["a", "b"], "encoding_format": "base64"}, "embed")
    vector = struct.unpack("<2f", base64.b64decode(result.body["data"][1]["embedding"]))
    assert vector == (0.5, 1.0)


async def test_embeddings_count_mismatch_is_an_upstream_failure(adapter: GeminiAdapter) -> None:
    with pytest.raises(UpstreamStatus) as caught:
        await adapter.embeddings({"input": ["a", "b"]}, "embed-short")
    assert caught.value.status == 502
    assert caught.value.retryable is True
