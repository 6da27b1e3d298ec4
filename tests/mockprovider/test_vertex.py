"""The emulator's Vertex AI routes and its OAuth token endpoint, spoken to as google-auth and Vertex would."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from trueport.mockprovider import MockProvider

ROOT = "/v1/projects/trueport-mock/locations/us-central1/publishers"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


async def key(mock: MockProvider, http: aiohttp.ClientSession, query: str = "") -> Any:
    async with http.get(f"{mock.url}/_mock/vertex/service-account{query}") as response:
        return await response.json()


def assertion(info: Any, *, private_key: str | None = None, **claims: Any) -> str:
    """The JWT-bearer assertion a service account sends (signed here with PyJWT, not google-auth)."""
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "scope": SCOPE,
        "aud": info["token_uri"],
        "iat": now,
        "exp": now + 600,
    }
    key = private_key or info["private_key"]
    return jwt.encode(payload | claims, key, algorithm="RS256", headers={"kid": info["private_key_id"]})


async def grant(
    mock: MockProvider, http: aiohttp.ClientSession, signed: str, path: str = "/token"
) -> tuple[int, Any]:
    data = {"grant_type": GRANT, "assertion": signed}
    async with http.post(f"{mock.url}{path}", data=data) as response:
        return response.status, await response.json()


async def call(
    mock: MockProvider, http: aiohttp.ClientSession, path: str, body: Any, token: str | None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(f"{mock.url}{ROOT}{path}", json=body, headers=headers) as response:
        return response.status, await response.json()


GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}
CLAUDE_BODY = {
    "anthropic_version": "vertex-2023-10-16",
    "max_tokens": 20,
    "messages": [{"role": "user", "content": "Hello"}],
}


async def test_a_signed_assertion_gets_a_token_that_opens_both_publishers(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    info = await key(mock, http, "?ttl=120")
    assert info["type"] == "service_account" and info["token_uri"] == f"{mock.url}/token?ttl=120"
    status, issued = await grant(mock, http, assertion(info), "/token?ttl=120")
    assert status == 200 and issued["expires_in"] == 120 and issued["token_type"] == "Bearer"
    token = issued["access_token"]
    status, answer = await call(
        mock, http, "/google/models/gemini-2.0-flash:generateContent", GEMINI_BODY, token
    )
    assert status == 200 and answer["candidates"][0]["content"]["parts"][0]["text"] == "Echo: Hello"
    status, answer = await call(
        mock, http, "/anthropic/models/claude-3-5-haiku@20241022:rawPredict", CLAUDE_BODY, token
    )
    assert status == 200 and answer["content"][0]["text"] == "Echo: Hello"
    status, answer = await call(
        mock, http, "/google/models/text-embedding-005:predict", {"instances": [{"content": "a b"}]}, token
    )
    assert status == 200 and answer["predictions"][0]["embeddings"]["statistics"]["token_count"] == 2


async def test_assertions_not_signed_by_the_test_key_are_refused(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    info = await key(mock, http)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    status, body = await grant(mock, http, assertion(info, private_key=pem))
    assert status == 400 and body["error"] == "invalid_grant"
    status, body = await grant(mock, http, assertion(info, iss="someone@else.iam.gserviceaccount.com"))
    assert status == 400 and body["error"] == "invalid_grant"
    status, body = await grant(mock, http, assertion(info, scope="https://www.googleapis.com/auth/drive"))
    assert status == 400
    async with http.get(f"{mock.url}/_mock/vertex/tokens") as response:
        assert (await response.json())["issued"] == 0


async def test_missing_unknown_and_expired_tokens_are_401_in_googles_shape(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    path = "/google/models/gemini-2.0-flash:generateContent"
    for token in (None, "ya29.made-up"):
        status, body = await call(mock, http, path, GEMINI_BODY, token)
        assert status == 401 and body["error"]["status"] == "UNAUTHENTICATED"
    info = await key(mock, http, "?ttl=2")
    _status, issued = await grant(mock, http, assertion(info), "/token?ttl=2")
    assert (await call(mock, http, path, GEMINI_BODY, issued["access_token"]))[0] == 200
    await asyncio.sleep(2.1)
    status, body = await call(mock, http, path, GEMINI_BODY, issued["access_token"])
    assert status == 401 and "expired" in body["error"]["message"]
    async with http.get(f"{mock.url}/_mock/vertex/tokens") as response:
        assert await response.json() == {"issued": 1, "refused": 3, "live": 0}


async def test_claude_bodies_are_checked_for_vertex_rules_and_streams_end_with_message_stop(
    mock: MockProvider, http: aiohttp.ClientSession
) -> None:
    info = await key(mock, http)
    _status, issued = await grant(mock, http, assertion(info))
    token = issued["access_token"]
    path = "/anthropic/models/claude-3-5-haiku@20241022"
    assert (await call(mock, http, f"{path}:rawPredict", CLAUDE_BODY | {"model": "claude"}, token))[0] == 400
    assert (
        await call(mock, http, f"{path}:rawPredict", CLAUDE_BODY | {"anthropic_version": "2023-06-01"}, token)
    )[0] == 400
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(
        f"{mock.url}{ROOT}{path}:streamRawPredict", json=CLAUDE_BODY | {"stream": True}, headers=headers
    ) as response:
        text = await response.text()
    assert response.status == 200 and text.rstrip().endswith('data: {"type":"message_stop"}')


async def test_faults_are_injected_through_the_model(mock: MockProvider, http: aiohttp.ClientSession) -> None:
    info = await key(mock, http)
    _status, issued = await grant(mock, http, assertion(info))
    status, body = await call(
        mock,
        http,
        "/google/models/gemini-2.0-flash+status=429:generateContent",
        GEMINI_BODY,
        issued["access_token"],
    )
    assert status == 429 and body["error"]["status"] == "RESOURCE_EXHAUSTED"
