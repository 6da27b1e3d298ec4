"""Webhook URLs go through the upstreams' SSRF guard; a ?query is allowed and kept."""

from __future__ import annotations

import pytest

from trueport.platform.credentials.urls import UnsafeUrl
from trueport.platform.webhooks.urls import check_webhook_url


async def _public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",  # not https
        "https://127.0.0.1/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://10.0.0.8/in",
        "https://user:pw@hooks.example.com/in",
        "https://hooks.example.com/in?token=1#frag",
        "file:///etc/passwd",
    ],
)
async def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl) as caught:
        await check_webhook_url(url, allow_private=False)
    assert "base_url" not in str(caught.value)


async def test_a_host_resolving_to_a_private_address_is_refused() -> None:
    from trueport.platform.credentials import urls

    async def private(host: str, port: int) -> list[str]:
        return ["10.1.2.3"]

    with pytest.raises(UnsafeUrl, match="private"):
        await urls.check_base_url("https://internal.example.com", allow_private=False, resolve=private)


async def test_a_query_is_kept_and_private_addresses_pass_when_allowed() -> None:
    assert (
        await check_webhook_url("http://127.0.0.1:8080/hook/?token=abc", allow_private=True)
        == "http://127.0.0.1:8080/hook/?token=abc"
    )
    assert (
        await check_webhook_url("https://93.184.216.34/in", allow_private=False) == "https://93.184.216.34/in"
    )
