"""Web security of ``/api/v1``: security headers on every answer, CORS, the body limit, the error shape.

These run on SQLite only: the middleware under test does not touch the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from support.smtp import SmtpSink
from trueport.mockprovider import MockProvider

LIMIT = 4096
ALLOWED = "https://console.example.com"
SETTINGS = "/api/v1/settings"


@pytest.fixture
async def api(
    sqlite_database_url: str, mock: MockProvider, smtp: SmtpSink
) -> AsyncIterator[ControlPlaneHarness]:
    """TruePort allowing browser calls from ``https://*.example.com``, with a small body limit."""
    settings = platform_settings(
        sqlite_database_url,
        mock.url,
        mail=smtp.mail_settings(),
        platform={"cors_allow_origin_regex": r"https://[a-z0-9-]+\.example\.com", "max_body_bytes": LIMIT},
    )
    async with running_platform(settings) as harness:
        yield harness


@pytest.fixture
async def no_cors(sqlite_database_url: str, mock: MockProvider) -> AsyncIterator[ControlPlaneHarness]:
    """TruePort as installed by default: no ``cors_allow_origin_regex``."""
    async with running_platform(platform_settings(sqlite_database_url, mock.url)) as harness:
        yield harness


async def admin_headers(api: ControlPlaneHarness) -> dict[str, str]:
    tenant = await api.tenant("acme")
    user = await api.user("admin@acme.example")
    await api.member(tenant, user, "admin")
    return api.auth(user, tenant)


def assert_secure(response: httpx.Response) -> None:
    headers = response.headers
    what = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    assert headers["strict-transport-security"].startswith("max-age="), what
    assert int(headers["strict-transport-security"].split(";")[0].removeprefix("max-age=")) >= 31_536_000
    assert headers["x-frame-options"] == "DENY", what
    assert "default-src 'none'" in headers["content-security-policy"], what
    assert "frame-ancestors 'none'" in headers["content-security-policy"], what
    assert headers["x-content-type-options"] == "nosniff", what
    assert headers["referrer-policy"] == "no-referrer", what
    assert len(headers.get_list("x-frame-options")) == 1, what


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


def settings_body(total: int) -> bytes:
    """A valid settings PATCH exactly ``total`` bytes long: ``{"settings": {"a": "xxx..."}}``."""
    body = b'{"settings": {"a": "' + b"x" * (total - 23) + b'"}}'
    assert len(body) == total
    return body


async def chunks(total: int, size: int = 1024) -> AsyncIterator[bytes]:
    """``settings_body(total)`` sent chunked (no Content-Length)."""
    body = settings_body(total)
    for start in range(0, total, size):
        yield body[start : start + size]


async def test_every_answer_carries_the_security_headers(api: ControlPlaneHarness) -> None:
    client, auth = api.client, await admin_headers(api)
    responses = [
        await client.get(SETTINGS, headers=auth),  # 200
        await client.get("/api/v1/openapi.json"),  # 200
        await client.get(SETTINGS),  # 401
        await client.get("/api/v1/nothing-here"),  # 404
        await client.delete(SETTINGS, headers=auth),  # 405
        await client.patch(
            SETTINGS, content=b"{not json", headers=auth | {"content-type": "application/json"}
        ),
        await client.patch(SETTINGS, content=b"x" * (LIMIT + 1), headers=auth),  # 413, by Content-Length
        await client.patch(SETTINGS, content=chunks(LIMIT * 2), headers=auth),  # 413, chunked
        await client.options(
            SETTINGS, headers={"origin": ALLOWED, "access-control-request-method": "PATCH"}
        ),  # CORS preflight
    ]
    assert [r.status_code for r in responses] == [200, 200, 401, 404, 405, 422, 413, 413, 200]
    for response in responses:
        assert_secure(response)


async def test_an_allowed_origin_may_call_from_a_browser(api: ControlPlaneHarness) -> None:
    preflight = await api.client.options(
        SETTINGS,
        headers={
            "origin": ALLOWED,
            "access-control-request-method": "PATCH",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers  # bearer tokens, no cookies
    assert "origin" in preflight.headers["vary"].lower()
    actual = await api.client.get(SETTINGS, headers=await admin_headers(api) | {"origin": ALLOWED})
    assert actual.status_code == 200
    assert actual.headers["access-control-allow-origin"] == ALLOWED


FOREIGN = [
    "https://evil.test",
    "http://console.example.com",  # not https
    "https://console.example.com.evil.test",  # the regex must match the whole origin
    "https://a.b.example.com",
    "https://example.com",
    "null",
]


async def test_a_foreign_origin_gets_no_cors_grant(api: ControlPlaneHarness) -> None:
    for origin in FOREIGN:
        preflight = await api.client.options(
            SETTINGS, headers={"origin": origin, "access-control-request-method": "PATCH"}
        )
        assert preflight.status_code >= 400, origin
        assert "access-control-allow-origin" not in preflight.headers, origin
        assert_secure(preflight)
        actual = await api.client.get("/api/v1/openapi.json", headers={"origin": origin})
        assert actual.status_code == 200
        assert "access-control-allow-origin" not in actual.headers, origin


async def test_without_a_regex_no_origin_is_allowed(no_cors: ControlPlaneHarness) -> None:
    for origin in (ALLOWED, "http://localhost:3000", no_cors.url):
        preflight = await no_cors.client.options(
            SETTINGS, headers={"origin": origin, "access-control-request-method": "GET"}
        )
        assert preflight.status_code >= 400
        assert "access-control-allow-origin" not in preflight.headers
        actual = await no_cors.client.get("/api/v1/openapi.json", headers={"origin": origin})
        assert "access-control-allow-origin" not in actual.headers


async def test_a_body_over_the_limit_is_413_by_content_length(api: ControlPlaneHarness) -> None:
    auth = await admin_headers(api)
    at_limit = settings_body(LIMIT)
    fits = await api.client.patch(
        SETTINGS, content=at_limit, headers=auth | {"content-type": "application/json"}
    )
    assert fits.status_code == 200, fits.text
    over = await api.client.patch(
        SETTINGS, content=at_limit + b" ", headers=auth | {"content-type": "application/json"}
    )
    body = assert_error(over, 413, "request_too_large")
    assert str(LIMIT) in body["error"]["message"]
    # Refused before authentication or routing: nobody gets to make the server read a huge body.
    assert_error(
        await api.client.post("/api/v1/nothing-here", content=b"x" * (LIMIT + 1)), 413, "request_too_large"
    )


async def test_a_chunked_body_over_the_limit_is_413(api: ControlPlaneHarness) -> None:
    auth = await admin_headers(api) | {"content-type": "application/json"}
    request = api.client.build_request("PATCH", SETTINGS, content=chunks(LIMIT * 4), headers=auth)
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    assert_error(await api.client.send(request), 413, "request_too_large")
    # A chunked body within the limit is read as usual.
    small = await api.client.patch(SETTINGS, content=chunks(LIMIT), headers=auth)
    assert small.status_code == 200, small.text
    assert small.json()["settings"]["a"] == "x" * (LIMIT - 23)
    # Nothing of the refused body was saved.
    assert (await api.client.get(SETTINGS, headers=auth)).json()["settings"]["a"] == "x" * (LIMIT - 23)


async def test_unknown_routes_and_methods_answer_in_the_error_shape(api: ControlPlaneHarness) -> None:
    assert_error(await api.client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(await api.client.post("/api/v1/settings/deeper"), 404, "not_found")
    assert_error(await api.client.put(SETTINGS), 405, "method_not_allowed")


async def test_malformed_json_is_422(api: ControlPlaneHarness) -> None:
    auth = await admin_headers(api) | {"content-type": "application/json"}
    for content in (b'{"settings": ', b"{'settings': {}}", b"\xff\xfe", b'{"settings": {"a": 1}} trailing'):
        body = assert_error(
            await api.client.patch(SETTINGS, content=content, headers=auth), 422, "validation_failed"
        )
        assert body["error"]["details"], content
