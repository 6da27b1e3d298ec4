"""Serves the built console at ``/console``, and sends the e-mailed links there.

The console is a single-page app: a path under ``/console/`` that names a built file gets that file,
any other path gets ``index.html`` so the app's router shows the page (a reload of
``/console/keys`` works). Files are read from ``dist/`` beside this module, where ``make setup``
(``npm run build`` in ``console/``) puts them; a checkout without npm has no ``dist/``, and
``/console`` then answers 503 with a page saying how to build it, while everything else works.

The invitation and password-reset mails link to ``/accept-invitation?token=...`` and
``/reset-password?token=...`` on the public URL; those paths redirect to the console's pages.

Headers. The API's Content-Security-Policy (``default-src 'none'``) would stop the app itself;
the console's allows its own origin only: scripts, styles, images and fonts from ``'self'`` (the
build inlines no script or style, see ``console/angular.json``), API calls to ``'self'``, and
``base-uri 'self'`` for the ``<base href="/console/">`` the router needs. Hashed build files never
change under their name and are cached for a year; ``index.html`` is never cached, so a new build
is seen at the next load.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

import anyio

from trueport.gateway.asgi import Headers, Receive, Scope, Send, send_body

PREFIX = "/console"
DIST = Path(__file__).parent / "dist"
MAILED_PAGES = frozenset({"/accept-invitation", "/reset-password"})

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS: Headers = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_NO_STORE = (b"cache-control", b"no-store")
_IMMUTABLE = (b"cache-control", b"public, max-age=31536000, immutable")
_HASHED = re.compile(r"-[A-Z0-9]{8,}\.(js|css|woff2?)$")  # esbuild's content hash in the name

_NOT_BUILT = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TruePort console not built</title></head>
<body><h1>The TruePort console is not built</h1>
<p>This installation has no console assets. In a source checkout, run <code>make setup</code>
(it needs Node.js and npm) and restart <code>trueport serve</code>.</p>
<p>The API at <code>/api/v1</code> and the gateway at <code>/v1</code> work without it.</p></body></html>
"""


def is_console(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/") or path in MAILED_PAGES


class Console:
    """The ASGI handler of ``/console`` paths and the e-mailed pages (``is_console``)."""

    def __init__(self, dist: Path = DIST) -> None:
        self.dist = dist.resolve()

    @property
    def built(self) -> bool:
        return (self.dist / "index.html").is_file()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if scope["method"] not in ("GET", "HEAD"):
            await self._answer(send, 405, b"method not allowed\n", b"text/plain; charset=utf-8", scope)
        elif path in MAILED_PAGES or path == PREFIX:
            query: bytes = scope.get("query_string", b"")
            target = f"{PREFIX}{path if path != PREFIX else '/'}".encode() + (b"?" + query if query else b"")
            await send_body(send, 302, b"", [(b"location", target), _NO_STORE, *_HEADERS])
        elif not self.built:
            await self._answer(send, 503, _NOT_BUILT, b"text/html; charset=utf-8", scope)
        else:
            await self._file(scope, send, path.removeprefix(PREFIX + "/"))

    async def _file(self, scope: Scope, send: Send, relative: str) -> None:
        file = (self.dist / relative).resolve() if relative else self.dist / "index.html"
        inside = file.is_relative_to(self.dist)
        if inside and file.is_file():
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith(("javascript", "json")):
                content_type += "; charset=utf-8"
            cache = _IMMUTABLE if _HASHED.search(file.name) else _NO_STORE
            body = await anyio.Path(file).read_bytes()
            await self._answer(send, 200, body, content_type.encode(), scope, cache)
        elif inside and "." in relative.rsplit("/", 1)[-1]:  # a missing file, not a page of the app
            await self._answer(send, 404, b"not found\n", b"text/plain; charset=utf-8", scope)
        else:  # a route of the app: its router shows the page
            body = await anyio.Path(self.dist / "index.html").read_bytes()
            await self._answer(send, 200, body, b"text/html; charset=utf-8", scope)

    @staticmethod
    async def _answer(
        send: Send,
        status: int,
        body: bytes,
        content_type: bytes,
        scope: Scope,
        cache: tuple[bytes, bytes] = _NO_STORE,
    ) -> None:
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            cache,
            *_HEADERS,
        ]
        await send_body(send, status, b"" if scope["method"] == "HEAD" else body, headers)
