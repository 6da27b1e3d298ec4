"""The credential check: each provider's own header, and a 401 in its own error shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from trueport.mockprovider import MockProvider

MESSAGES = [{"role": "user", "content": "x"}]


@dataclass(frozen=True)
class Route:
    path: str
    credential: Callable[[str], dict[str, str]]
    body: dict[str, Any]
    error_kind: Callable[[Any], str]


ROUTES = {
    "openai": Route(
        "/v1/chat/completions",
        lambda key: {"Authorization": f"Bearer {key}"},
        {"model": "m", "messages": MESSAGES},
        lambda body: body["error"]["code"],
    ),
    "azure": Route(
        "/openai/deployments/d/chat/completions?api-version=2024-10-21",
        lambda key: {"api-key": key},
        {"messages": MESSAGES},
        lambda body: body["error"]["code"],
    ),
    "anthropic": Route(
        "/v1/messages",
        lambda key: {"x-api-key": key, "anthropic-version": "2023-06-01"},
        {"model": "c", "max_tokens": 5, "messages": MESSAGES},
        lambda body: body["type"] + "/" + body["error"]["type"],
    ),
    "anthropic-bearer": Route(
        "/v1/messages",
        lambda key: {"Authorization": f"Bearer {key}", "anthropic-version": "2023-06-01"},
        {"model": "c", "max_tokens": 5, "messages": MESSAGES},
        lambda body: body["type"] + "/" + body["error"]["type"],
    ),
    "gemini": Route(
        "/v1beta/models/g:generateContent",
        lambda key: {"x-goog-api-key": key},
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
        lambda body: body["error"]["status"],
    ),
}
UNAUTHORIZED = {
    "openai": "invalid_api_key",
    "azure": "invalid_api_key",
    "anthropic": "error/authentication_error",
    "anthropic-bearer": "error/authentication_error",
    "gemini": "UNAUTHENTICATED",
}
pytestmark = pytest.mark.parametrize("provider", list(ROUTES))


async def call(
    http: aiohttp.ClientSession, mock: MockProvider, route: Route, headers: dict[str, str]
) -> tuple[int, Any]:
    async with http.post(f"{mock.url}{route.path}", json=route.body, headers=headers) as response:
        return response.status, await response.json()


async def test_any_credential_passes_when_no_key_is_set(
    provider: str, mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    status, _ = await call(http, mock, ROUTES[provider], ROUTES[provider].credential("whatever"))
    assert status == 200


async def test_a_missing_credential_is_refused(
    provider: str, mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    route = ROUTES[provider]
    headers = {name: value for name, value in route.credential("").items() if name == "anthropic-version"}
    status, body = await call(http, mock, route, headers)
    assert status == 401
    assert route.error_kind(body) == UNAUTHORIZED[provider]


async def test_the_configured_key_is_enforced(provider: str, http: aiohttp.ClientSession) -> None:
    route = ROUTES[provider]
    async with MockProvider(api_key="s3cret") as mock:
        good, _ = await call(http, mock, route, route.credential("s3cret"))
        bad, body = await call(http, mock, route, route.credential("wrong"))
        recorded = mock.requests[-1]["headers"]
    assert (good, bad) == (200, 401)
    assert route.error_kind(body) == UNAUTHORIZED[provider]
    assert "wrong" in " ".join(recorded.values())
