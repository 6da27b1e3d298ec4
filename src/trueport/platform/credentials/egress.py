"""The HTTP client that calls tenants' own upstreams, re-checking every connection (SSRF guard).

A URL that passed ``urls.check_base_url`` when it was saved may resolve elsewhere later (DNS
rebinding), and a provider may answer with a redirect to an internal address. So, when private
upstreams are not allowed, this client checks at connection time:

- ``GuardedResolver`` drops forbidden addresses from every DNS answer (none left: the connection
  fails as a DNS error);
- ``guarded_socket`` refuses to create the socket for a forbidden address, which also covers literal
  IPs (aiohttp does not resolve those) and redirect targets.

It is a separate session from the one the config file's providers use, so that this guard never
applies to (and never slows) the operator's own upstreams.
"""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from trueport.jsonutil import dumps
from trueport.platform.credentials.urls import forbidden_address, parse_address


class ForbiddenUpstream(OSError):
    """A connection to an address tenants may not reach; aiohttp reports it as a connection error."""


class GuardedResolver(AbstractResolver):
    """The default resolver, minus the addresses tenants may not reach."""

    def __init__(self, inner: AbstractResolver | None = None):
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        allowed = [answer for answer in answers if _allowed(answer["host"])]
        if not allowed:
            raise ForbiddenUpstream(f"{host} resolves only to addresses upstreams may not use")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def _allowed(host: str) -> bool:
    address = parse_address(host.split("%", 1)[0])
    return address is not None and not forbidden_address(address)


def guarded_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """aiohttp's socket factory: the connection's last step, where the real address is known."""
    family, kind, proto, _, sockaddr = addr_info
    if not _allowed(str(sockaddr[0])):
        raise ForbiddenUpstream(f"connections to {sockaddr[0]} are not allowed for tenant upstreams")
    return socket.socket(family=family, type=kind, proto=proto)


def upstream_session(*, allow_private: bool) -> aiohttp.ClientSession:
    """A client session for tenants' upstreams; call within a running event loop, close when done."""
    if allow_private:
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=60, keepalive_timeout=30)
    else:
        connector = aiohttp.TCPConnector(
            limit=0,
            ttl_dns_cache=60,
            keepalive_timeout=30,
            resolver=GuardedResolver(),
            socket_factory=guarded_socket,
        )
    return aiohttp.ClientSession(
        connector=connector, json_serialize=lambda value: dumps(value).decode(), trust_env=False
    )
