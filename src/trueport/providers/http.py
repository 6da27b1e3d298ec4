"""Calling a provider over HTTP: timeouts, and the mapping of every failure to an ``UpstreamError``."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import aiohttp

from trueport import tracing
from trueport.errors import UpstreamMalformed, UpstreamStatus, UpstreamTimeout, UpstreamUnavailable
from trueport.jsonutil import JSONDecodeError, JSONObject, loads
from trueport.settings import ProviderConfig

_MAX_ERROR_BODY = 4096


def request_timeout(config: ProviderConfig, *, stream: bool) -> aiohttp.ClientTimeout:
    """Connect timeout always; a whole-call limit for plain calls, an idle limit inside streams."""
    return _timeout(config.connect_timeout_s, config.timeout_s, config.stream_idle_timeout_s, stream)


@functools.lru_cache(maxsize=256)
def _timeout(connect_s: float, total_s: float, idle_s: float, stream: bool) -> aiohttp.ClientTimeout:
    # Built once per distinct setting: constructing ClientTimeout per request is measurable on the hot path.
    if stream:
        return aiohttp.ClientTimeout(total=None, connect=connect_s, sock_connect=connect_s, sock_read=idle_s)
    return aiohttp.ClientTimeout(total=total_s, connect=connect_s, sock_connect=connect_s)


async def open_response(
    http: aiohttp.ClientSession,
    provider: str,
    config: ProviderConfig,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    stream: bool = False,
) -> aiohttp.ClientResponse:
    """POST ``body`` and return a 2xx response with its body unread; raise ``UpstreamError`` otherwise."""
    response = await send_request(http, provider, config, url, body=body, headers=headers, stream=stream)
    if response.status >= 400:
        try:
            detail = await _error_detail(response)
        finally:
            response.close()  # the rest of an error body is never read: do not reuse the connection
        # The detail is for the logs (with the account's own key taken out, in case the upstream echoes
        # it); clients are told only ``UpstreamError.public`` (see ``trueport.gateway.failover``).
        secret = config.api_key.get_secret_value()
        if secret:
            detail = detail.replace(secret, "[redacted]")
        raise UpstreamStatus(
            f"{provider} answered {response.status}: {detail}", provider=provider, status=response.status
        )
    return response


async def send_request(
    http: aiohttp.ClientSession,
    provider: str,
    config: ProviderConfig,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    stream: bool = False,
) -> aiohttp.ClientResponse:
    """POST ``body`` and return the response whatever its status; ``UpstreamError`` if none came.

    For adapters that read a provider's own error shape (``open_response`` does the common one).
    """
    if tracing.active():  # the attempt's span goes along (W3C traceparent)
        traced = dict(headers)
        tracing.inject(traced)
        headers = traced
    try:
        return await http.post(
            url, data=body, headers=headers, timeout=request_timeout(config, stream=stream)
        )
    except TimeoutError as exc:
        raise UpstreamTimeout(
            f"{provider}: timed out connecting or waiting for headers", provider=provider
        ) from exc
    except aiohttp.ClientError as exc:
        raise UpstreamUnavailable(f"{provider}: {type(exc).__name__}", provider=provider) from exc


async def read_body(response: aiohttp.ClientResponse, provider: str, max_bytes: int) -> bytes:
    """Read a whole body of at most ``max_bytes``; ``UpstreamMalformed`` as soon as it is larger.

    The body is read in chunks and the connection closed at the first byte over the limit, so a huge
    answer costs at most ``max_bytes`` of memory and is never read to its end.
    """
    if response.content_length is not None and response.content_length > max_bytes:
        response.close()
        raise UpstreamMalformed(
            f"{provider}: answer of {response.content_length} bytes is over {max_bytes}", provider=provider
        )
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > max_bytes:
                response.close()
                raise UpstreamMalformed(f"{provider}: answer is over {max_bytes} bytes", provider=provider)
            parts.append(chunk)
    except TimeoutError as exc:
        response.close()
        raise UpstreamTimeout(f"{provider}: timed out reading the answer", provider=provider) from exc
    except aiohttp.ClientError as exc:
        response.close()
        raise UpstreamUnavailable(
            f"{provider}: answer broken ({type(exc).__name__})", provider=provider
        ) from exc
    response.release()
    return b"".join(parts)


async def read_json(
    response: aiohttp.ClientResponse, provider: str, max_bytes: int
) -> tuple[JSONObject, bytes]:
    """Read a whole JSON object body (bounded), mapping every failure to ``UpstreamError``."""
    raw = await read_body(response, provider, max_bytes)
    try:
        value = loads(raw)
    except JSONDecodeError as exc:
        raise UpstreamMalformed(f"{provider}: answer is not JSON", provider=provider) from exc
    if not isinstance(value, dict):
        raise UpstreamMalformed(f"{provider}: answer is not a JSON object", provider=provider)
    return value, raw


async def post_json(
    http: aiohttp.ClientSession,
    provider: str,
    config: ProviderConfig,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
) -> tuple[JSONObject, bytes]:
    response = await open_response(http, provider, config, url, body=body, headers=headers)
    return await read_json(response, provider, config.max_response_bytes)


async def _error_detail(response: aiohttp.ClientResponse) -> str:
    try:
        raw = await response.content.read(_MAX_ERROR_BODY)
    except (aiohttp.ClientError, TimeoutError):
        return "(no body)"
    try:
        value = loads(raw)
    except JSONDecodeError:
        return raw.decode("utf-8", "replace")[:300]
    if isinstance(value, dict):
        error = value.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:300]
        if isinstance(value.get("message"), str):
            return str(value["message"])[:300]
    return raw.decode("utf-8", "replace")[:300]
