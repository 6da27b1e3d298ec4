"""The SSRF guard: may a tenant make the gateway send requests (and its API key) to this URL?

A tenant chooses its credential's ``base_url``, and the gateway then calls it from inside the
installation's network. So, unless ``settings.private_upstreams_allowed`` (development, or an
operator's explicit choice), the URL must be ``https`` and must not reach loopback, private, link-local
(cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, reserved or unspecified addresses,
nor IPv6 unique-local or link-local ones, including IPv4 addresses embedded in IPv6 (mapped, 6to4,
Teredo, NAT64).

``check_base_url`` is the save-time check: the URL's shape, a literal IP, and every address the host
resolves to now. DNS can change after that (rebinding), so the connection itself is checked again
(``trueport.platform.credentials.egress``) with ``forbidden_address``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[list[str]]]

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")  # a last label that makes a host an IPv4 number
_DNS_TIMEOUT_S = 5.0


class UnsafeUrl(ValueError):
    """The URL may not be used as an upstream; the message says why and never repeats the URL."""


def forbidden_address(address: IPAddress) -> bool:
    """Is ``address`` one a tenant's upstream may not connect to?"""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return True
        embedded = _embedded_ipv4(address)
        if embedded is not None and forbidden_address(embedded):
            return True
        if address in _NAT64_LOCAL or address.is_site_local:
            return True
    elif address in _CGNAT or address.is_reserved:
        return True
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address; the server's is public by definition
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def checked_shape(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """``(normalised url, host, port)`` if the URL's shape is acceptable; ``UnsafeUrl`` otherwise.

    A literal IP host is checked here; a host name is the resolver's business (``check_base_url``).
    """
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise UnsafeUrl("base_url must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("base_url is not a valid URL") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if allow_private else ("https",)
    if scheme not in allowed:
        raise UnsafeUrl(f"base_url must start with {' or '.join(s + '://' for s in allowed)}")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsafeUrl("base_url must not contain a user name or password")
    if parts.fragment or "#" in url:
        raise UnsafeUrl("base_url must not have a #fragment")
    if parts.query or "?" in url:
        raise UnsafeUrl("base_url must not have a ?query: the provider's paths are appended to it")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("base_url must name a host")
    if port == 0:
        raise UnsafeUrl("base_url must not use port 0")
    address = parse_address(host)
    if address is None:
        if not host.isascii():
            raise UnsafeUrl("base_url's host must be ASCII (write an internationalised name as xn--...)")
        if _NUMERIC_HOST.match(host.rsplit(".", 1)[-1]):
            raise UnsafeUrl("base_url's host looks like an IP address but is not one in standard form")
    elif not allow_private and forbidden_address(address):
        raise UnsafeUrl(f"base_url points at {address}, a loopback, private or reserved address")
    normalised = f"{scheme}://{parts.netloc.lower()}{parts.path}".rstrip("/")
    return normalised, host, port if port is not None else (443 if scheme == "https" else 80)


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as the operating system answers now."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_base_url(url: str, *, allow_private: bool, resolve: Resolve = system_resolve) -> str:
    """The normalised URL if a tenant may use it as an upstream; ``UnsafeUrl`` otherwise."""
    normalised, host, port = checked_shape(url, allow_private=allow_private)
    if allow_private or parse_address(host) is not None:
        return normalised
    try:
        async with asyncio.timeout(_DNS_TIMEOUT_S):
            answers = await resolve(host, port)
    except (OSError, TimeoutError):
        raise UnsafeUrl(f"base_url's host {host!r} does not resolve") from None
    if not answers:
        raise UnsafeUrl(f"base_url's host {host!r} does not resolve")
    for answer in answers:
        address = parse_address(answer.split("%", 1)[0])
        if address is None or forbidden_address(address):
            raise UnsafeUrl(
                f"base_url's host {host!r} resolves to {answer}, a loopback, private or reserved address"
            )
    return normalised
