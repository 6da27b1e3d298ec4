"""The Vertex AI adapter against the emulator, which issues OAuth tokens from its own /token endpoint
(verifying the service account's RS256 assertion) and refuses unknown and expired tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from trueport.errors import UnsupportedOperation, UpstreamStatus
from trueport.jsonutil import JSONObject
from trueport.mockprovider import MockProvider
from trueport.providers.google_tokens import GoogleTokens
from trueport.providers.vertex import VertexAdapter, error_detail, publisher_of
from trueport.settings import ProviderConfig

GEMINI = "gemini-2.0-flash-001"
CLAUDE = "claude-3-5-haiku@20241022"
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
HELLO: JSONObject = {"messages": [{"role": "user", "content": "Hello there"}], "max_tokens": 50}


@pytest.fixture
async def mock() -> AsyncIterator[MockProvider]:
    async with MockProvider() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def key_file(
    mock: MockProvider, http: aiohttp.ClientSession, directory: Path, ttl: int | None = None
) -> Path:
    query = f"?ttl={ttl}" if ttl is not None else ""
    async with http.get(f"{mock.url}/_mock/vertex/service-account{query}") as response:
        path = directory / "service-account.json"
        path.write_bytes(await response.read())
    return path


def config(base_url: str, credentials_file: Path, **values: Any) -> ProviderConfig:
    return ProviderConfig(
        type="vertex",
        project="trueport-mock",
        location="europe-west4",
        base_url=base_url,
        credentials_file=credentials_file,
        timeout_s=5,
        **values,
    )


@pytest.fixture
async def adapter(mock: MockProvider, http: aiohttp.ClientSession, tmp_path: Path) -> VertexAdapter:
    return VertexAdapter("vertex", config(mock.url, await key_file(mock, http, tmp_path)), http)


async def tokens(mock: MockProvider, http: aiohttp.ClientSession) -> Any:
    async with http.get(f"{mock.url}/_mock/vertex/tokens") as response:
        return await response.json()


async def requests(mock: MockProvider, http: aiohttp.ClientSession) -> list[Any]:
    async with http.get(f"{mock.url}/_mock/requests") as response:
        return [seen for seen in await response.json() if seen["path"].startswith("/v1/projects/")]


async def test_urls_name_project_location_publisher_and_method(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    vertex = VertexAdapter(
        "v", config("https://europe-west4-aiplatform.googleapis.com", tmp_path / "k.json"), http
    )
    root = "https://europe-west4-aiplatform.googleapis.com/v1/projects/trueport-mock/locations/europe-west4/publishers"
    assert vertex.url(GEMINI, "generateContent") == f"{root}/google/models/{GEMINI}:generateContent"
    assert vertex.url(CLAUDE, "rawPredict") == f"{root}/anthropic/models/claude-3-5-haiku@20241022:rawPredict"
    assert vertex.url("a/b", "predict") == f"{root}/google/models/a%2Fb:predict"
    assert publisher_of("claude-sonnet-4@20250514") == "anthropic"
    assert publisher_of("text-embedding-005") == "google"
    assert publisher_of("my-tuned-claude", "anthropic") == "anthropic"


def test_error_bodies_of_google_and_of_claude() -> None:
    assert error_detail({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}) == (
        "RESOURCE_EXHAUSTED",
        "quota",
    )
    assert (
        error_detail([{"error": {"code": 503, "message": "m", "status": "UNAVAILABLE"}}])[0] == "UNAVAILABLE"
    )
    assert error_detail({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}) == (
        "overloaded_error",
        "busy",
    )
    assert error_detail(b"nonsense") == ("", "")


async def test_gemini_chat_with_a_token_from_the_emulator(
    adapter: VertexAdapter, mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    completion = await adapter.chat(HELLO, GEMINI)
    assert completion.body["choices"][0]["message"]["content"] == "Echo: Hello there"
    assert completion.usage.prompt_tokens > 0
    (seen,) = await requests(mock, http)
    assert seen["path"].endswith(f"/locations/europe-west4/publishers/google/models/{GEMINI}:generateContent")
    assert seen["headers"]["authorization"].startswith("Bearer ya29.mock-")
    assert (await tokens(mock, http))["issued"] == 1


async def test_claude_chat_goes_to_raw_predict_with_the_vertex_version(
    adapter: VertexAdapter, mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    completion = await adapter.chat(dict(HELLO, tools=[TOOL]), CLAUDE)
    call = completion.body["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert completion.body["choices"][0]["finish_reason"] == "tool_calls"
    (seen,) = await requests(mock, http)
    assert seen["path"].endswith(f"/publishers/anthropic/models/{CLAUDE}:rawPredict")
    assert seen["body"]["anthropic_version"] == "vertex-2023-10-16" and "model" not in seen["body"]


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
async def test_streams_of_both_publishers(adapter: VertexAdapter, model: str) -> None:
    request = dict(HELLO, stream=True, stream_options={"include_usage": True})
    stream = await adapter.chat_stream(request, model)
    pieces = [chunk["choices"][0]["delta"].get("content") or "" async for chunk in stream if chunk["choices"]]
    text = "".join(pieces)
    assert text == "Echo: Hello there"
    assert stream.usage.completion_tokens > 0


async def test_embeddings_through_predict(
    adapter: VertexAdapter, mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    result = await adapter.embeddings({"input": ["one two", "three"], "dimensions": 8}, "text-embedding-005")
    assert [len(item["embedding"]) for item in result.body["data"]] == [8, 8]
    assert result.usage.prompt_tokens == 3  # the emulator's token_count per text, summed
    (seen,) = await requests(mock, http)
    assert seen["body"] == {
        "instances": [{"content": "one two"}, {"content": "three"}],
        "parameters": {"outputDimensionality": 8},
    }
    with pytest.raises(UnsupportedOperation):
        await adapter.embeddings({"input": "x"}, CLAUDE)


@pytest.mark.parametrize(("fault", "status"), [("429", 429), ("503", 503), ("400", 400)])
async def test_google_errors_map_to_the_gateway_statuses(
    adapter: VertexAdapter, fault: str, status: int
) -> None:
    with pytest.raises(UpstreamStatus) as caught:
        await adapter.chat(HELLO, f"{GEMINI}+status={fault}")
    assert caught.value.status == status
    assert caught.value.retryable is (status != 400)


async def test_a_refused_token_is_refreshed_once_and_the_call_repeated(
    adapter: VertexAdapter, mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    await adapter.chat(HELLO, GEMINI)
    async with http.post(f"{mock.url}/_mock/vertex/tokens/expire") as response:
        assert (await response.json())["expired"] == 1
    completion = await adapter.chat(HELLO, GEMINI)  # refused (401), refreshed, repeated
    assert completion.body["choices"][0]["message"]["content"] == "Echo: Hello there"
    assert await tokens(mock, http) == {"issued": 2, "refused": 1, "live": 1}
    first, refused, repeated = await requests(mock, http)
    assert first["headers"]["authorization"] == refused["headers"]["authorization"]
    assert repeated["headers"]["authorization"] != refused["headers"]["authorization"]


async def test_a_token_refused_twice_fails_the_target_with_401(
    mock: MockProvider, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Tokens from this emulator's /token, Vertex calls to another emulator that never issued them."""
    credentials = await key_file(mock, http, tmp_path)
    async with MockProvider() as stranger:
        vertex = VertexAdapter("vertex", config(stranger.url, credentials), http)
        with pytest.raises(UpstreamStatus) as caught:
            await vertex.chat(HELLO, GEMINI)
        assert (await tokens(stranger, http))["refused"] == 2  # the first token, then the renewed one
    assert caught.value.status == 401 and caught.value.retryable
    assert (await tokens(mock, http))["issued"] == 2


async def test_a_token_near_its_expiry_is_refreshed_before_use(
    mock: MockProvider, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Tokens live 4 s here: used for 3 s (a quarter of the lifetime kept as margin), then replaced."""
    vertex = VertexAdapter("vertex", config(mock.url, await key_file(mock, http, tmp_path, ttl=4)), http)
    await vertex.chat(HELLO, GEMINI)
    await vertex.chat(HELLO, GEMINI)
    assert (await tokens(mock, http))["issued"] == 1  # cached
    await asyncio.sleep(3.2)
    await vertex.chat(HELLO, GEMINI)
    counts = await tokens(mock, http)
    assert (counts["issued"], counts["refused"]) == (2, 0)  # refreshed before it lapsed, never refused


async def test_concurrent_calls_refresh_once(
    mock: MockProvider, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    vertex = VertexAdapter("vertex", config(mock.url, await key_file(mock, http, tmp_path)), http)
    answers = await asyncio.gather(*(vertex.chat(HELLO, GEMINI) for _ in range(8)))
    assert len(answers) == 8
    assert vertex.tokens.refreshes == 1
    assert (await tokens(mock, http))["issued"] == 1


async def test_token_cache_follows_the_clock(
    mock: MockProvider, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    now = [1000.0]
    source = GoogleTokens(
        "vertex", config(mock.url, await key_file(mock, http, tmp_path)), clock=lambda: now[0]
    )
    first = await source.token()
    now[0] += 3600 - 300 - 1  # one second before the five-minute margin of a one-hour token
    assert await source.token() == first
    now[0] += 2
    assert await source.token() != first
    assert source.refreshes == 2


async def test_unusable_credentials_are_a_401_of_this_target(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    missing = VertexAdapter("vertex", config("http://127.0.0.1:9", tmp_path / "missing.json"), http)
    with pytest.raises(UpstreamStatus) as caught:
        await missing.chat(HELLO, GEMINI)
    assert caught.value.status == 401
    assert "missing.json" not in caught.value.public
