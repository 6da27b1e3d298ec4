"""The Gemini routes, as raw HTTP (there is no official Gemini SDK among the test dependencies)."""

from __future__ import annotations

from typing import Any

import aiohttp

from trueport.jsonutil import loads
from trueport.mockprovider import MockProvider
from trueport.mockprovider.vectors import embed

KEY = {"x-goog-api-key": "k"}
TOOLS = [{"functionDeclarations": [{"name": "search"}, {"name": "fetch"}]}]


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


async def post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(url, json=body, headers=KEY) as response:
        return response.status, await response.json()


async def test_generate_content_echoes(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    status, body = await post(
        http,
        f"{mock.url}/v1beta/models/gemini-2.0-flash:generateContent",
        {
            "systemInstruction": {"parts": [{"text": "be brief"}]},
            "contents": [user("first"), {"role": "model", "parts": [{"text": "ok"}]}, user("hello world")],
        },
    )
    assert status == 200
    candidate = body["candidates"][0]
    assert candidate["content"] == {"role": "model", "parts": [{"text": "Echo: hello world"}]}
    assert candidate["finishReason"] == "STOP"
    assert body["usageMetadata"] == {"promptTokenCount": 6, "candidatesTokenCount": 3, "totalTokenCount": 9}
    assert body["modelVersion"] == "gemini-2.0-flash"


async def test_max_output_tokens_truncates(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    _, body = await post(
        http,
        f"{mock.url}/v1beta/models/g:generateContent",
        {"contents": [user("a b c")], "generation_config": {"max_output_tokens": 2}},
    )
    assert body["candidates"][0]["content"]["parts"] == [{"text": "Echo: a"}]
    assert body["candidates"][0]["finishReason"] == "MAX_TOKENS"


async def test_stream_sends_sse_chunks_then_finish_and_usage(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{mock.url}/v1beta/models/g:streamGenerateContent?alt=sse",
        json={"contents": [user("hello world")]},
        headers=KEY,
    ) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        raw = await response.read()
    events = [loads(block.removeprefix(b"data: ")) for block in raw.split(b"\r\n\r\n") if block]
    texts = [part["text"] for event in events for part in event["candidates"][0]["content"]["parts"]]
    assert "".join(texts) == "Echo: hello world"
    assert len(events) == 4
    assert all("finishReason" not in event["candidates"][0] for event in events[:-1])
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] == 3


async def test_stream_without_alt_sse_is_one_json_array(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    _, body = await post(http, f"{mock.url}/v1beta/models/g:streamGenerateContent", {"contents": [user("x")]})
    assert isinstance(body, list)
    assert body[-1]["candidates"][0]["finishReason"] == "STOP"


async def test_function_calling(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    url = f"{mock.url}/v1beta/models/g:generateContent"
    _, body = await post(http, url, {"contents": [user("find cats")], "tools": TOOLS})
    assert body["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"name": "search", "args": {"input": "find cats"}}}
    ]
    _, named = await post(
        http,
        url,
        {
            "contents": [user("x")],
            "tools": TOOLS,
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["fetch"]}},
        },
    )
    assert named["candidates"][0]["content"]["parts"][0]["functionCall"]["name"] == "fetch"
    _, none = await post(
        http,
        url,
        {"contents": [user("x")], "tools": TOOLS, "toolConfig": {"functionCallingConfig": {"mode": "NONE"}}},
    )
    assert none["candidates"][0]["content"]["parts"] == [{"text": "Echo: x"}]


async def test_a_function_response_is_echoed(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    _, body = await post(
        http,
        f"{mock.url}/v1beta/models/g:generateContent",
        {
            "tools": TOOLS,
            "contents": [
                user("find cats"),
                {"role": "model", "parts": [{"functionCall": {"name": "search", "args": {}}}]},
                {
                    "role": "user",
                    "parts": [{"functionResponse": {"name": "search", "response": {"result": "3 cats"}}}],
                },
            ],
        },
    )
    assert body["candidates"][0]["content"]["parts"] == [{"text": "Echo: 3 cats"}]


async def test_streamed_function_call_arrives_whole(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/v1beta/models/g:streamGenerateContent?alt=sse",
        json={"contents": [user("find")], "tools": TOOLS},
        headers=KEY,
    ) as response:
        raw = await response.read()
    events = [loads(block.removeprefix(b"data: ")) for block in raw.split(b"\r\n\r\n") if block]
    assert len(events) == 1
    assert events[0]["candidates"][0]["content"]["parts"][0]["functionCall"]["args"] == {"input": "find"}


async def test_batch_embed_contents(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    status, body = await post(
        http,
        f"{mock.url}/v1beta/models/text-embedding-004:batchEmbedContents",
        {
            "requests": [
                {"model": "models/text-embedding-004", "content": {"parts": [{"text": "a"}]}},
                {
                    "model": "models/text-embedding-004",
                    "content": {"parts": [{"text": "b"}]},
                    "outputDimensionality": 4,
                },
            ]
        },
    )
    assert status == 200
    assert body == {"embeddings": [{"values": embed("a")}, {"values": embed("b", 4)}]}


async def test_embed_content(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    status, body = await post(
        http,
        f"{mock.url}/v1beta/models/e:embedContent",
        {"content": {"parts": [{"text": "hello"}]}, "output_dimensionality": 3},
    )
    assert status == 200
    assert body == {"embedding": {"values": embed("hello", 3)}}


async def test_the_key_may_be_a_query_parameter(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{mock.url}/v1beta/models/g:generateContent?key=k", json={"contents": [user("x")]}
    ) as response:
        assert response.status == 200
    assert mock.requests[-1]["query"] == {"key": "k"}


async def test_errors_have_the_gemini_shape(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    status, body = await post(http, f"{mock.url}/v1beta/models/g:generateContent", {"contents": []})
    assert status == 400
    assert body["error"]["code"] == 400
    assert body["error"]["status"] == "INVALID_ARGUMENT"
    status, body = await post(http, f"{mock.url}/v1beta/models/g:unknownMethod", {})
    assert (status, body["error"]["status"]) == (404, "NOT_FOUND")
    status, body = await post(
        http, f"{mock.url}/v1beta/models/g+status=503:generateContent", {"contents": [user("x")]}
    )
    assert body == {"error": {"code": 503, "message": "mock fault: status 503", "status": "UNAVAILABLE"}}
