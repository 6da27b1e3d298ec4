"""A throwaway ``redis-server`` (Debian ``redis-server`` package) on a free port of 127.0.0.1.

Nothing is persisted. ``kill()`` and ``restart()`` exist for failure tests: start a private server
with ``start_redis()`` for those rather than killing the session-wide one.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from . import free_port, missing_binary

INSTALL_HINT = "apt-get install --no-install-recommends redis-server"
_READY_TIMEOUT_S = 10.0
_START_ATTEMPTS = 3  # another process may take the free port between our probe and the bind


class RedisError(RuntimeError):
    """The server did not start or answer; the message carries its log."""


class RedisServer:
    """A running ``redis-server`` process owned by this object. Use ``start_redis()`` to get one."""

    def __init__(self, binary: str, root: Path, port: int) -> None:
        self.binary = binary
        self.root = root
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def command(self, line: str, timeout: float = 2.0) -> bytes:
        """Send one inline command (``PING``, ``DBSIZE``) and return the first reply line: ``b"+PONG"``."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(line.encode() + b"\r\n")
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError(f"redis closed the connection after {reply!r}")
                reply += chunk
        return reply.split(b"\r\n", 1)[0]

    def kill(self) -> None:
        """SIGKILL the server, as a crash would; ``restart()`` brings it back on the same port."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def restart(self) -> None:
        """Stop the server if it runs, then start it again on the same port (with no data)."""
        self._terminate()
        self._start()

    def stop(self) -> None:
        """Shut the server down and delete its directory. Safe to call twice."""
        self._terminate()
        shutil.rmtree(self.root, ignore_errors=True)

    def _start(self) -> None:
        self.root.mkdir(exist_ok=True)
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.root), "--logfile", str(self.root / "redis.log")]
        with (self.root / "redis.out").open("ab") as out:  # errors before the log file opens land here
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.root
            )
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while True:
            # Checked first: a process that failed to bind must not pass on another server's PONG.
            exited = not self.running
            try:
                if not exited and self.command("PING", timeout=0.5) == b"+PONG":
                    return
            except OSError:
                pass  # not listening yet
            if exited or time.monotonic() > deadline:
                self.kill()
                output = "".join(
                    path.read_text(errors="replace")[-4000:]
                    for path in (self.root / "redis.out", self.root / "redis.log")
                    if path.exists()
                )
                raise RedisError(f"redis-server on port {self.port} did not come up:\n{output}")
            time.sleep(0.01)

    def _terminate(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RedisServer(url={self.url!r}, running={self.running})"


def start_redis() -> RedisServer:
    """Start a fresh server; skips the test (fails under ``CI=true``) if ``redis-server`` is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_binary("redis-server", INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="trueport-redis-"))
    try:
        for _ in range(_START_ATTEMPTS):
            server = RedisServer(binary, root, free_port())
            try:
                server._start()
                return server
            except RedisError as error:
                failure = error
        raise failure
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
