"""``/_mock/*``: the request log, health and reset."""

from __future__ import annotations

import aiohttp

from trueport.mockprovider import MockProvider
from trueport.mockprovider.state import REQUEST_LOG_SIZE


async def test_health(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{mock.url}/_mock/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_requests_are_recorded_with_credentials_and_parsed_bodies(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    await (
        await http.post(
            f"{mock.url}/v1/chat/completions?trace=1",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
            headers={"Authorization": "Bearer sk-visible"},
        )
    ).release()
    await (await http.post(f"{mock.url}/v1/embeddings", data=b"not json")).release()
    async with http.get(f"{mock.url}/_mock/requests") as response:
        recorded = await response.json()
    assert recorded == mock.requests
    assert [(r["method"], r["path"]) for r in recorded] == [
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/embeddings"),
    ]
    first = recorded[0]
    assert first["query"] == {"trace": "1"}
    assert first["headers"]["authorization"] == "Bearer sk-visible"
    assert first["body"] == {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    assert recorded[1]["body"] == "not json"


async def test_failed_and_unknown_requests_are_recorded_too(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    await (await http.post(f"{mock.url}/v1/messages", json={})).release()
    await (await http.get(f"{mock.url}/nowhere")).release()
    assert [r["path"] for r in mock.requests] == ["/v1/messages", "/nowhere"]


async def test_introspection_is_not_recorded(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    await (await http.get(f"{mock.url}/_mock/health")).release()
    await (await http.get(f"{mock.url}/_mock/requests")).release()
    assert mock.requests == []


async def test_delete_clears_the_log(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    await (await http.get(f"{mock.url}/v1/models", headers={"Authorization": "Bearer k"})).release()
    assert len(mock.requests) == 1
    async with http.delete(f"{mock.url}/_mock/requests") as response:
        assert response.status == 204
    assert mock.requests == []


async def test_only_the_last_requests_are_kept(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    for index in range(REQUEST_LOG_SIZE + 5):
        await (
            await http.get(f"{mock.url}/v1/models/m{index}", headers={"Authorization": "Bearer k"})
        ).release()
    paths = [r["path"] for r in mock.requests]
    assert len(paths) == REQUEST_LOG_SIZE == 200
    assert (paths[0], paths[-1]) == ("/v1/models/m5", f"/v1/models/m{REQUEST_LOG_SIZE + 4}")
