"""The SSRF guard's save-time check: URL shape, literal addresses, and what a host resolves to."""

from __future__ import annotations

import ipaddress

import pytest

from trueport.platform.credentials.urls import Resolve, UnsafeUrl, check_base_url, forbidden_address


def _resolves_to(*answers: str) -> Resolve:
    async def resolve(host: str, port: int) -> list[str]:
        return list(answers)

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
    ],
)
def test_forbidden_addresses(address: str) -> None:
    assert forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/v1",
        "https://10.0.0.5:8443/v1",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/v1",
        "https://[fc00::1]/v1",
        "https://[fd00:ec2::254]/v1",
        "https://[::ffff:127.0.0.1]/v1",
    ],
)
async def test_literal_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="loopback, private or reserved"):
        await check_base_url(url, allow_private=False)


async def test_a_host_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(UnsafeUrl, match=r"'localhost' resolves to (127\.0\.0\.1|::1)"):
        await check_base_url("https://localhost:8443/v1", allow_private=False)


async def test_every_dns_answer_must_be_public() -> None:
    mixed = _resolves_to("8.8.8.8", "10.0.0.1")
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.1"):
        await check_base_url("https://api.example.com/v1", allow_private=False, resolve=mixed)
    public = _resolves_to("8.8.8.8", "2606:4700::1111")
    url = await check_base_url("https://API.Example.com/v1/", allow_private=False, resolve=public)
    assert url == "https://api.example.com/v1"


async def test_an_unresolvable_host_is_refused() -> None:
    async def fail(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(UnsafeUrl, match="does not resolve"):
        await check_base_url("https://nowhere.invalid/v1", allow_private=False, resolve=fail)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://api.example.com/v1", "must start with https://"),
        ("ftp://api.example.com/v1", "must start with https://"),
        ("https://user:pass@api.example.com/v1", "user name or password"),
        ("https://api.example.com@10.0.0.1/v1", "user name or password"),
        ("https://api.example.com/v1#frag", "fragment"),
        ("https://api.example.com/v1?x=1", "query"),
        ("https:///v1", "must name a host"),
        ("https://api.example.com/v 1", "spaces or control characters"),
        ("https://api.example.com:99999/v1", "not a valid URL"),
        ("https://2130706433/v1", "not one in standard form"),
        ("https://127.1/v1", "not one in standard form"),
        ("https://0x7f.0.0.1/v1", "not one in standard form"),
    ],
)
async def test_url_shapes_that_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeUrl, match=reason) as caught:
        await check_base_url(url, allow_private=False)
    assert "pass@" not in str(caught.value)  # the message never repeats the URL


async def test_private_upstreams_allowed_skips_address_checks_but_not_shape() -> None:
    assert await check_base_url("http://127.0.0.1:8080/v1/", allow_private=True) == "http://127.0.0.1:8080/v1"
    assert await check_base_url("https://localhost/v1", allow_private=True) == "https://localhost/v1"
    with pytest.raises(UnsafeUrl, match="user name or password"):
        await check_base_url("http://u:p@127.0.0.1/v1", allow_private=True)
