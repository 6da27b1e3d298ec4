"""``trueport.console.serving``: the built files, the SPA fallback, the e-mailed links, and a checkout
without a build. On a hand-made ``dist`` (no npm needed) and through the whole app."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from tests.platform.harness import ControlPlaneHarness, platform_settings, running_platform

from trueport.console.serving import CONTENT_SECURITY_POLICY, Console
from trueport.mockprovider import MockProvider

INDEX = b'<!doctype html><html><head><base href="/console/"></head><body><tp-root></tp-root></body></html>'


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "main-ABCDEFGH.js").write_text("console.log('app')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


def _client(console: Console) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=console), base_url="http://trueport.test")


async def test_files_are_served_with_their_type_and_hashed_ones_are_cached(dist: Path) -> None:
    async with _client(Console(dist)) as client:
        script = await client.get("/console/main-ABCDEFGH.js")
        icon = await client.get("/console/favicon.svg")
    assert script.status_code == 200
    assert script.text == "console.log('app')"
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "immutable" in script.headers["cache-control"]
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.headers["cache-control"] == "no-store"


async def test_pages_of_the_app_get_index_html_never_cached(dist: Path) -> None:
    async with _client(Console(dist)) as client:
        for path in ("/console/", "/console/keys", "/console/reset-password?token=abc", "/console/a/b/c"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert page.content == INDEX, path
            assert page.headers["cache-control"] == "no-store"
            assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_the_policy_allows_nothing_inline_and_nothing_foreign() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


async def test_a_missing_file_is_404_and_nothing_outside_dist_is_served(dist: Path) -> None:
    (dist.parent / "secret.txt").write_text("not for the web")
    async with _client(Console(dist)) as client:
        missing = await client.get("/console/chunk-MISSING1.js")
        escape = await client.get("/console/../secret.txt")
        encoded = await client.get("/console/%2e%2e/secret.txt")
    assert missing.status_code == 404
    for response in (escape, encoded):
        assert "not for the web" not in response.text


async def test_only_get_and_head(dist: Path) -> None:
    async with _client(Console(dist)) as client:
        assert (await client.post("/console/keys")).status_code == 405
        head = await client.head("/console/keys")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(INDEX))


@pytest.mark.parametrize("page", ["accept-invitation", "reset-password"])
async def test_the_e_mailed_links_lead_to_the_console_with_their_token(dist: Path, page: str) -> None:
    async with _client(Console(dist)) as client:
        response = await client.get(f"/{page}?token=tok_123-abc")
    assert response.status_code == 302
    assert response.headers["location"] == f"/console/{page}?token=tok_123-abc"
    assert response.headers["cache-control"] == "no-store"


async def test_console_without_the_slash_redirects(dist: Path) -> None:
    async with _client(Console(dist)) as client:
        response = await client.get("/console")
    assert response.status_code == 302
    assert response.headers["location"] == "/console/"


async def test_without_a_build_the_console_says_how_to_make_one(tmp_path: Path) -> None:
    async with _client(Console(tmp_path / "dist")) as client:
        page = await client.get("/console/overview")
        link = await client.get("/reset-password?token=abc")
    assert page.status_code == 503
    assert "make setup" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert link.status_code == 302  # the link still leads there, to the same advice


async def test_the_app_serves_the_console_beside_the_api(
    sqlite_database_url: str, mock: MockProvider, dist: Path
) -> None:
    async with running_platform(platform_settings(sqlite_database_url, mock.url)) as harness:
        harness.app.console = Console(dist)
        await _serves_both(harness)
        harness.app.console = Console(dist / "nothing-built")
        assert (await harness.client.get("/console/keys")).status_code == 503
        assert (await harness.client.get("/healthz")).status_code == 200
        assert (await harness.client.get("/api/v1/openapi.json")).status_code == 200


async def _serves_both(harness: ControlPlaneHarness) -> None:
    page = await harness.client.get("/console/overview")
    assert page.status_code == 200 and page.content == INDEX
    api = await harness.client.get("/api/v1/users/me")
    assert api.status_code == 401 and api.json()["error"]["code"]
    unknown = await harness.client.get("/consoles")
    assert unknown.status_code == 404
