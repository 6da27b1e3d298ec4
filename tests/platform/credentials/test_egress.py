"""The SSRF guard at connection time: DNS answers and the socket's real address are checked again."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from trueport.mockprovider import MockProvider
from trueport.platform.credentials.egress import ForbiddenUpstream, GuardedResolver, upstream_session


@pytest.fixture
async def server() -> AsyncIterator[MockProvider]:
    async with MockProvider(host="127.0.0.1", port=0) as mock:
        yield mock


class _Rebinding(AbstractResolver):
    """A name that resolved to a public address when it was saved, and now answers these."""

    def __init__(self, *answers: str):
        self.answers = answers

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(hostname=host, host=answer, port=port, family=family, proto=0, flags=0)
            for answer in self.answers
        ]

    async def close(self) -> None:
        return None


async def test_a_literal_loopback_address_is_refused_at_connect(server: MockProvider) -> None:
    async with upstream_session(allow_private=False) as http:
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await http.get(f"{server.url}/_mock/health")
    assert isinstance(caught.value.os_error, ForbiddenUpstream)
    assert server.requests == []


async def test_a_name_resolving_to_loopback_is_refused_at_connect(server: MockProvider) -> None:
    async with upstream_session(allow_private=False) as http:
        with pytest.raises(aiohttp.ClientConnectorError):
            await http.get(f"http://localhost:{server.port}/_mock/health")


async def test_the_same_requests_pass_when_private_upstreams_are_allowed(server: MockProvider) -> None:
    async with upstream_session(allow_private=True) as http:
        for url in (f"{server.url}/_mock/health", f"http://localhost:{server.port}/_mock/health"):
            async with http.get(url) as response:
                assert response.status == 200


async def test_the_resolver_drops_forbidden_answers() -> None:
    rebound = GuardedResolver(_Rebinding("169.254.169.254", "10.0.0.1"))
    with pytest.raises(ForbiddenUpstream, match=r"rebind\.example\.com resolves only to"):
        await rebound.resolve("rebind.example.com", 443)
    mixed = GuardedResolver(_Rebinding("127.0.0.1", "8.8.8.8", "fd00::1"))
    assert [answer["host"] for answer in await mixed.resolve("mixed.example.com", 443)] == ["8.8.8.8"]
