"""A throwaway PostgreSQL server from the Debian ``postgresql`` package.

``initdb`` into a temporary directory, ``pg_ctl start`` on a free port of 127.0.0.1 with the unix socket
in that directory, durability off (the data dies with the test session anyway). PostgreSQL refuses to
run as root, so under root the server runs as the ``postgres`` system user the package creates.
Authentication is ``trust``: anyone on this machine may connect as ``postgres``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from . import free_port, missing_binary

INSTALL_HINT = "apt-get install --no-install-recommends postgresql"
_INSTALL_ROOT = Path("/usr/lib/postgresql")
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
_START_ATTEMPTS = 3  # another process may take the free port between our probe and the bind


class PostgresError(RuntimeError):
    """The server did not start, stop or run a statement; the message carries its output."""


def find_bindir() -> Path | None:
    """The ``bin`` directory of the newest installed major version, or None."""
    candidates = [
        path.parent for path in _INSTALL_ROOT.glob("*/bin/pg_ctl") if (path.parent / "initdb").exists()
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda bindir: _version_key(bindir.parent.name))


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


class PostgresServer:
    """A running server; ``url`` names its ``postgres`` database. Use ``start_postgres()`` to get one."""

    def __init__(self, bindir: Path, root: Path, port: int, run_as: list[str]) -> None:
        self.bindir = bindir
        self.root = root
        self.port = port
        self._run_as = run_as
        self._stopped = False

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self.execute(f"CREATE DATABASE {_checked(name)}")
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting anyone still in it."""
        self.execute(f"DROP DATABASE IF EXISTS {_checked(name)} WITH (FORCE)")

    def execute(self, sql: str) -> str:
        """Run SQL with ``psql`` against the ``postgres`` database; returns its unaligned output."""
        command = [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        command += ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-c", sql]
        return _run(command, cwd=self.root).strip()

    def stop(self) -> None:
        """Shut the server down at once and delete its files. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "30")
        except PostgresError:
            pass  # already gone; the files still have to go
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> str:
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data")]
        return _run([*self._run_as, *pg_ctl, *args], cwd=self.root)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"PostgresServer(url={self.url!r}, root={str(self.root)!r})"


def start_postgres() -> PostgresServer:
    """Initialise and start a fresh server; skips the test (fails under ``CI=true``) if not installed."""
    bindir = find_bindir()
    if bindir is None:
        missing_binary(f"PostgreSQL (initdb, pg_ctl under {_INSTALL_ROOT}/<version>/bin)", INSTALL_HINT)
    run_as = _run_as_prefix()
    root = Path(tempfile.mkdtemp(prefix="trueport-pg-"))
    try:
        if run_as:
            shutil.chown(root, user="postgres", group="postgres")
        _initdb(bindir, root, run_as)
        log = root / "postgres.log"
        for _ in range(_START_ATTEMPTS):
            server = PostgresServer(bindir, root, free_port(), run_as)
            try:
                server._pg_ctl("start", "-w", "-t", "30", "-l", str(log), "-o", f"-p {server.port}")
                return server
            except PostgresError as error:
                failure = error
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        raise PostgresError(f"{failure}\n--- postgres.log ---\n{tail}")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _run_as_prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresError("running as root needs runuser (util-linux) to start PostgreSQL as 'postgres'")
    return [runuser, "-u", "postgres", "--"]


def _initdb(bindir: Path, root: Path, run_as: list[str]) -> None:
    initdb = [str(bindir / "initdb"), "-D", str(root / "data"), "-U", "postgres", "-A", "trust"]
    initdb += ["-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]
    _run([*run_as, *initdb], cwd=root)
    settings = {**_SETTINGS, "unix_socket_directories": f"'{root}'"}
    with (root / "data" / "postgresql.conf").open("a") as conf:
        conf.write("\n# trueport test server\n")
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())


def _run(command: list[str], cwd: Path) -> str:
    # cwd: the postgres user may not be allowed into the caller's working directory (e.g. /root).
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise PostgresError(
            f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def _checked(name: str) -> str:
    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"database name must match {_DATABASE_NAME.pattern}: {name!r}")
    return name
