"""The HTTP server under ``trueport serve``: uvicorn, with read deadlines and proxy trust from settings.

uvicorn bounds an idle keep-alive connection (``timeout_keep_alive``) but not a request being sent:
a client that sends half its headers, or headers and then part of a body, holds its connection (and
whatever the app holds for it) for as long as it likes. ``DeadlineHttpToolsProtocol`` closes such a
connection once ``server.header_timeout_s`` passed without the headers complete (answering 408 when
part of a request arrived), or ``server.body_timeout_s`` passed after them without the body complete.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from ``server.forwarded_allow_ips``
(``--forwarded-allow-ips``); by default from nobody, so the client address is the peer's own.

``run_server`` prints one line on stdout once the socket listens (``TruePort listening on URL ...``),
and on SIGTERM or SIGINT stops accepting, lets calls in flight (streams included) finish for up to
``server.shutdown_grace_s``, then runs the app's shutdown (queued records and audit events written).
uvicorn's own log records go through the standard library to our one log format (``log_config=None``).
"""

from __future__ import annotations

import asyncio
import functools
import signal
import socket
from typing import Any, cast

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from trueport.settings import ServerConfig, Settings

_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's headers and for its body."""

    def __init__(self, *args: Any, header_timeout_s: float, body_timeout_s: float, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._header_timeout_s = header_timeout_s
        self._body_timeout_s = body_timeout_s
        self._deadline: asyncio.TimerHandle | None = None
        self._receiving = False  # bytes of a request arrived and its headers are not complete

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._receiving = True

    def on_headers_complete(self) -> None:
        self._receiving = False
        self._arm(self._body_timeout_s)  # until the body is complete (on_message_complete)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm(self._header_timeout_s)  # the next request's headers (keep-alive may end it sooner)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._receiving:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()  # a request in the app sees http.disconnect on its next receive


def server_options(config: ServerConfig, forwarded_allow_ips: str | None) -> dict[str, Any]:
    """uvicorn options for the deadlines and the proxies trusted (the command line's over the config's)."""
    allowed = forwarded_allow_ips if forwarded_allow_ips is not None else config.forwarded_allow_ips
    protocol = functools.partial(
        DeadlineHttpToolsProtocol,
        header_timeout_s=config.header_timeout_s,
        body_timeout_s=config.body_timeout_s,
    )
    return {
        "http": cast(Any, protocol),  # uvicorn calls it like a protocol class; a partial pickles to workers
        "timeout_keep_alive": config.keep_alive_timeout_s,
        "proxy_headers": bool(allowed),
        "forwarded_allow_ips": allowed or "",
    }


def listening_line(sock: socket.socket) -> str:
    """What ``serve`` prints once ``sock`` listens: its URL, and where the two APIs are."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    return (
        f"TruePort listening on {url} (OpenAI-compatible API: {url}/v1, control plane: {url}/api/v1, "
        f"console: {url}/console/)"
    )


def _announce(sock: socket.socket) -> None:
    print(listening_line(sock), flush=True)  # the command's one line of output


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, which says where it listens once the app has started."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            for server in self.servers:
                for sock in server.sockets:
                    _announce(sock)


class _Workers(Multiprocess):
    """uvicorn's worker supervisor, whose workers start with SIGINT ignored.

    Ctrl+C reaches every process of the terminal's group; a worker still importing would die of it
    with a traceback. The supervisor stops its workers itself (SIGTERM, a graceful shutdown each), and
    a worker's server takes SIGINT over while it serves (the disposition "ignored" survives exec).
    """

    def init_processes(self) -> None:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            super().init_processes()
        finally:
            signal.signal(signal.SIGINT, previous)


def run_server(
    settings: Settings, *, host: str, port: int, workers: int, forwarded_allow_ips: str | None
) -> None:
    """Serve ``settings``' app until SIGTERM or SIGINT; with ``workers`` > 1, each worker process
    builds its own app from the config named by ``TRUEPORT_CONFIG``. Raises ``SystemExit(3)`` if the
    app did not start (its log says why)."""
    from trueport.app import create_app

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "lifespan": "on",
        "log_level": "warning",
        "log_config": None,  # uvicorn's records use our handler and format
        "server_header": False,
        "timeout_graceful_shutdown": settings.server.shutdown_grace_s,
        **server_options(settings.server, forwarded_allow_ips),
    }
    if workers == 1:
        server = _AnnouncingServer(uvicorn.Config(create_app(settings), **options))
        server.run()
        if not server.started:
            raise SystemExit(3)
        return
    config = uvicorn.Config("trueport.app:create_app_from_env", factory=True, workers=workers, **options)
    sock = config.bind_socket()
    _announce(sock)
    _Workers(config, sockets=[sock]).run()
