"""Running the emulator: in the current event loop, in a thread of its own, or as a blocking process."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from aiohttp import web

from trueport.mockprovider.app import STATE, create_app
from trueport.mockprovider.state import MockState, RecordedRequest

_SHUTDOWN_TIMEOUT_S = 5.0
_THREAD_START_TIMEOUT_S = 10.0


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class MockProvider:
    """The emulator serving in the running event loop::

    async with MockProvider() as mock:
        client = AsyncOpenAI(base_url=f"{mock.url}/v1", api_key="k")
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, latency_ms: int = 0, api_key: str | None = None
    ):
        self.host = host
        self.app = create_app(latency_ms=latency_ms, api_key=api_key)
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def _state(self) -> MockState:
        return self.app[STATE]

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the mock provider is not running")
        return self._port

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The recorded requests, oldest first (at most the last 200)."""
        return self._state.log.snapshot()

    def clear_requests(self) -> None:
        self._state.log.clear()

    def reset(self) -> None:
        """Forget recorded requests and the ``flaky`` counters."""
        self._state.reset()

    async def start(self) -> None:
        # Handlers are cancelled when their client goes away, so abandoned hangs and slow streams end.
        runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=_SHUTDOWN_TIMEOUT_S
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


class MockProviderThread:
    """The emulator in a thread with its own event loop, for synchronous code::

    with MockProviderThread() as mock:
        client = OpenAI(base_url=f"{mock.url}/v1", api_key="k")
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, latency_ms: int = 0, api_key: str | None = None
    ):
        self._mock = MockProvider(host, port, latency_ms=latency_ms, api_key=api_key)
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="trueport-mock-provider", daemon=True)

    @property
    def url(self) -> str:
        return self._mock.url

    @property
    def port(self) -> int:
        return self._mock.port

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._mock.requests

    def reset(self) -> None:
        self._call_in_loop(self._mock.reset)

    def clear_requests(self) -> None:
        self._mock.clear_requests()

    def _call_in_loop(self, function: Callable[[], None]) -> None:
        if self._loop is None:
            raise RuntimeError("the mock provider is not running")
        asyncio.run_coroutine_threadsafe(_call(function), self._loop).result()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread, which re-raises it
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self._mock:
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(_THREAD_START_TIMEOUT_S):
            raise RuntimeError("the mock provider thread did not start in time")
        if self._failure is not None:
            self._thread.join()
            raise self._failure
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()


async def _call(function: Callable[[], None]) -> None:
    function()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    new_event_loop: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return new_event_loop


async def _serve_until_signalled(host: str, port: int, latency_ms: int, api_key: str | None) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with MockProvider(host, port, latency_ms=latency_ms, api_key=api_key) as mock:
            sys.stdout.write(f"mock provider listening on {mock.url}\n")
            sys.stdout.flush()
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def run(host: str, port: int, *, latency_ms: int = 0, api_key: str | None = None) -> None:
    """Serve until SIGINT or SIGTERM, then shut down cleanly (uses uvloop when it is installed)."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_serve_until_signalled(host, port, latency_ms, api_key))
