"""AWS Signature Version 4, from AWS's specification, with hashlib and hmac only.

The Bedrock adapter signs with it (``aws_signing``), whatever gave it the keys: explicit keys in
the provider's settings need nothing else, so a plain install calls Bedrock with them; botocore (the
``aws`` extra) is needed only for its credential chain. The provider emulator recomputes signatures
with the same function (``trueport.mockprovider.sigv4``); ``tests/mockprovider/test_sigv4.py`` checks
it against botocore's signer.

The canonical request is AWS's for services other than S3: the path, as sent (already
percent-encoded), without empty and dot segments and encoded once more (``%3A`` becomes ``%253A``);
the query's pairs sorted; each signed header's value trimmed, inner whitespace collapsed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Keys:
    """An AWS identity's keys at one moment (temporary ones with their session token)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _canonical_path(path: str) -> str:
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    trailing = "/" if path.endswith("/") and kept else ""
    return quote("/" + "/".join(kept) + trailing, safe="/~")


def _canonical_query(query: str) -> str:
    pairs = [part.partition("=") for part in query.split("&") if part]
    return "&".join(f"{key}={value}" for key, _, value in sorted(pairs))


def signature(
    *,
    secret: str,
    method: str,
    raw_path: str,
    headers: Mapping[str, str],
    body: bytes,
    stamp: str,
    region: str,
    service: str,
) -> str:
    """The hex signature of a request over exactly ``headers`` (the signed ones, any case).

    ``raw_path`` is the path and query as sent; ``stamp`` the request's ``X-Amz-Date``
    (``YYYYMMDDTHHMMSSZ``).
    """
    path, _, query = raw_path.partition("?")
    signed = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    names = sorted(signed)
    canonical = "\n".join(
        [
            method.upper(),
            _canonical_path(path),
            _canonical_query(query),
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(("AWS4" + secret).encode("utf-8"), stamp[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def signed_headers(
    keys: Keys,
    *,
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """``headers`` plus ``X-Amz-Date``, the session token if any, and ``Authorization``; every one
    of them is signed, and ``host`` (from ``url``, as an HTTP client sends it)."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    out = dict(headers)
    out["X-Amz-Date"] = stamp
    if keys.session_token is not None:
        out["X-Amz-Security-Token"] = keys.session_token
    to_sign = {**out, "host": _host(url)}
    parts = urlsplit(url)
    raw_path = parts.path + (f"?{parts.query}" if parts.query else "")
    hex_signature = signature(
        secret=keys.secret_access_key,
        method=method,
        raw_path=raw_path,
        headers=to_sign,
        body=body,
        stamp=stamp,
        region=region,
        service=service,
    )
    names = ";".join(sorted(name.lower() for name in to_sign))
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    out["Authorization"] = (
        f"{ALGORITHM} Credential={keys.access_key_id}/{scope}, SignedHeaders={names}, Signature={hex_signature}"
    )
    return out
