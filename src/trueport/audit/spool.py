"""A local, fsync'd, append-only spool for audit events the database could not take.

Each process writes its own file in the spool directory (``<time>-<random>.jsonl``) and holds an
exclusive ``flock`` on it while it lives. A file nobody holds a lock on belongs to a process that
ended (normally or by ``kill -9``): any process adopts it and replays it. Replay reads in order and
records how far it got in ``<file>.done`` (written atomically and fsync'd) after each committed
chunk; when everything is replayed the file is deleted. A crash between a commit and that record
means a chunk is read again: the log drops events it already has (same event id), so nothing is
duplicated.

A batch is durable once ``append`` returns: every line is written, then the file is fsync'd (and the
directory, when the file is new). A torn last line from a crash mid-write was never acknowledged;
it is cut off when the file is adopted.

With ``write_ahead`` (every event passes through the spool, see ``AuditLog``), the process's own
file is kept while it is replayed and its progress is recorded only when it is closed, or rotated
at ``ROTATE_BYTES``: no file creation, removal or marker fsync per batch. After a crash the next
process replays it from the last marker; the log drops the events it already has.

Blocking I/O: call these methods through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import structlog

log = structlog.get_logger(__name__)

_SUFFIX = ".jsonl"
_DONE_SUFFIX = ".done"
ROTATE_BYTES = 16 * 1024 * 1024


@dataclass(eq=False)
class SpoolFile:
    """One spool file this process holds the lock on."""

    path: Path
    handle: BinaryIO
    done: int = 0  # bytes already replayed
    size: int = 0

    @property
    def pending(self) -> bool:
        return self.done < self.size


class Spool:
    """The spool directory: this process's own file plus any it adopted, replayed oldest first."""

    def __init__(self, directory: Path, *, write_ahead: bool = False):
        self.directory = directory
        self._write_ahead = write_ahead
        self._own: SpoolFile | None = None
        self._adopted: list[SpoolFile] = []

    @property
    def pending(self) -> bool:
        """Whether anything written here is still to be replayed (as this process knows)."""
        return any(spool.pending for spool in self._files())

    def _files(self) -> list[SpoolFile]:
        return [*self._adopted, *([self._own] if self._own is not None else [])]

    def append(self, lines: list[bytes]) -> None:
        """Write lines (no newlines inside) and fsync them: durable when this returns."""
        if not lines:
            return
        own = self._own or self._create()
        data = b"".join(line + b"\n" for line in lines)
        try:
            own.handle.seek(own.size)
            own.handle.write(data)
            own.handle.flush()
            os.fsync(own.handle.fileno())
        except OSError:
            with contextlib.suppress(OSError):  # leave no half batch behind for a later one to follow
                own.handle.truncate(own.size)
            raise
        own.size += len(data)

    def adopt_orphans(self) -> int:
        """Take over spool files of processes that ended; returns how many were adopted."""
        if not self.directory.is_dir():
            return 0
        held = {spool.path for spool in self._files()}
        adopted = 0
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            if path in held:
                continue
            spool = _lock(path)
            if spool is None:
                continue  # a live process holds it
            _cut_torn_tail(spool)
            spool.done = _read_done(path)
            if not spool.pending:
                _remove(spool)
                continue
            self._adopted.append(spool)
            adopted += 1
            log.warning("audit_spool_adopted", file=path.name, pending_bytes=spool.size - spool.done)
        return adopted

    def read(self, max_lines: int) -> tuple[SpoolFile, list[bytes]] | None:
        """The next unreplayed lines of the oldest file that has any."""
        for spool in self._files():
            if not spool.pending:
                continue
            spool.handle.seek(spool.done)
            lines: list[bytes] = []
            for raw in spool.handle:
                if not raw.endswith(b"\n"):
                    break  # cannot happen for our own writes; adopted files had their tail cut
                lines.append(raw[:-1])
                if len(lines) >= max_lines:
                    break
            return spool, lines
        return None

    def mark_replayed(self, spool: SpoolFile, lines: list[bytes]) -> None:
        """Record that ``lines`` (just read from ``spool``) are in the database."""
        spool.done += sum(len(line) + 1 for line in lines)
        if self._write_ahead and spool is self._own and spool.size < ROTATE_BYTES:
            return  # recorded at close; after a crash the log drops what it already had
        if spool.done >= spool.size:
            _remove(spool)
            if spool is self._own:
                self._own = None
            else:
                self._adopted.remove(spool)
            return
        _write_done(spool.path, spool.done)

    def close(self) -> None:
        """Release the locks (files still pending stay for the next process)."""
        own = self._own
        if self._write_ahead and own is not None:
            if own.done >= own.size:
                _remove(own)
                self._own = None
            elif own.done:
                _write_done(own.path, own.done)
        for spool in self._files():
            spool.handle.close()
        self._own = None
        self._adopted = []

    def _create(self) -> SpoolFile:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}{_SUFFIX}"
        path = self.directory / name
        handle = path.open("x+b")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        _fsync_directory(self.directory)
        self._own = SpoolFile(path, handle)
        if not self._write_ahead:  # write-ahead: every process has one
            log.warning("audit_spool_opened", file=name)
        return self._own


def _lock(path: Path) -> SpoolFile | None:
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    if not path.exists():  # deleted by its replayer between our open and our lock
        handle.close()
        return None
    handle.seek(0, os.SEEK_END)
    return SpoolFile(path, handle, size=handle.tell())


def _cut_torn_tail(spool: SpoolFile) -> None:
    if spool.size == 0:
        return
    handle = spool.handle
    handle.seek(max(0, spool.size - 1))
    if handle.read(1) == b"\n":
        return
    handle.seek(0)
    data = handle.read()
    keep = data.rfind(b"\n") + 1
    log.warning("audit_spool_torn_tail_removed", file=spool.path.name, bytes=spool.size - keep)
    handle.truncate(keep)
    os.fsync(handle.fileno())
    spool.size = keep


def _done_path(path: Path) -> Path:
    return path.with_name(path.name + _DONE_SUFFIX)


def _read_done(path: Path) -> int:
    try:
        return int(_done_path(path).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _write_done(path: Path, offset: int) -> None:
    target = _done_path(path)
    temporary = target.with_name(target.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(str(offset).encode())
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(target)
    _fsync_directory(path.parent)


def _remove(spool: SpoolFile) -> None:
    spool.path.unlink(missing_ok=True)  # while still locked, so nobody adopts a file being removed
    _done_path(spool.path).unlink(missing_ok=True)
    spool.handle.close()
    _fsync_directory(spool.path.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
