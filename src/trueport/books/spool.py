"""The local call spool: serving processes append fsync'd lines, one reader tails them into the books.

Each serving process writes its own file in the spool directory (``<time>-<random>.calls``) and holds
an exclusive ``flock`` on it while it writes to it; it starts a new file past ``ROTATE_BYTES``. A file
is created under a temporary name, locked, then renamed, so a reader never sees an unlocked new file.

One reader at a time tails the directory (``SpoolTail``, holding ``reader.lock``): it reads the complete
lines of every file from where it got to, oldest file first, and after each chunk is in the database
records its offset in ``<file>.done`` (atomically, fsync'd). A file whose lock it can take has no writer
any more (rotated, or its process ended, ``kill -9`` included): once read to the end it is deleted. A
torn last line of a dead writer was never acknowledged; it is cut off. A reader that crashes between
a commit and its offset record reads that chunk again; the recorder drops what the books already
have (by request id and event id), so nothing is duplicated.

Blocking I/O: call these methods through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import structlog

log = structlog.get_logger(__name__)

SUFFIX = ".calls"
_DONE = ".done"
_READER_LOCK = "reader.lock"
ROTATE_BYTES = 16 * 1024 * 1024


class SpoolWriter:
    """This process's spool file: ``append`` writes and fsyncs lines (durable when it returns)."""

    def __init__(self, directory: Path, *, rotate_bytes: int = ROTATE_BYTES):
        self.directory = directory
        self._rotate_bytes = rotate_bytes
        self._handle: BinaryIO | None = None
        self._size = 0
        self.path: Path | None = None

    def append(self, lines: list[bytes]) -> None:
        if not lines:
            return
        if self._handle is None or self._size >= self._rotate_bytes:
            self._open()
        handle = self._handle
        assert handle is not None
        data = b"".join(line + b"\n" for line in lines)
        try:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        except OSError:
            with contextlib.suppress(OSError):  # no half batch for a later one to follow
                handle.truncate(self._size)
                handle.seek(self._size)
            raise
        self._size += len(data)

    def close(self) -> None:
        """Release the file: the reader deletes it once it has read it."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _open(self) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        temporary = self.directory / f"{name}.tmp"
        handle = temporary.open("x+b")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.path = temporary.with_name(name + SUFFIX)
        temporary.rename(self.path)
        _fsync_directory(self.directory)
        self._handle, self._size = handle, 0


@dataclass(eq=False)
class TailFile:
    path: Path
    handle: BinaryIO
    offset: int  # bytes read and recorded
    ended: bool = False  # its writer is gone (we hold its lock): no more lines will come
    lines_at: list[int] = field(default_factory=list)


class SpoolTail:
    """The reader of a spool directory (one per directory: ``acquire`` says whether it is us)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._lock: BinaryIO | None = None
        self._files: dict[Path, TailFile] = {}

    def acquire(self) -> bool:
        """Become the directory's reader; False while another process is."""
        if self._lock is not None:
            return True
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = (self.directory / _READER_LOCK).open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock = handle
        return True

    def read(self, max_lines: int) -> tuple[TailFile, list[bytes]] | None:
        """The next complete unread lines of the oldest file that has some (None: nothing new)."""
        self._scan()
        for tail in sorted(self._files.values(), key=lambda t: t.path.name):
            if not tail.ended:
                tail.ended = _try_lock(tail.handle)
                if tail.ended:
                    _cut_torn_tail(tail)
            tail.handle.seek(tail.offset)
            lines: list[bytes] = []
            for raw in tail.handle:
                if not raw.endswith(b"\n"):
                    break  # a line still being written
                lines.append(raw[:-1])
                if len(lines) >= max_lines:
                    break
            if lines:
                return tail, lines
            if tail.ended:
                self._remove(tail)
        return None

    def mark(self, tail: TailFile, lines: list[bytes]) -> None:
        """Record that ``lines`` (just read from ``tail``) are in the books."""
        tail.offset += sum(len(line) + 1 for line in lines)
        _write_done(tail.path, tail.offset)

    def pending_bytes(self) -> int:
        """Bytes written and not yet read, over the files this reader knows (a lag measure)."""
        total = 0
        for tail in self._files.values():
            with contextlib.suppress(OSError):
                total += os.fstat(tail.handle.fileno()).st_size - tail.offset
        return total

    def close(self) -> None:
        for tail in self._files.values():
            tail.handle.close()
        self._files = {}
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _scan(self) -> None:
        for path in self.directory.glob(f"*{SUFFIX}"):
            if path in self._files:
                continue
            try:
                handle = path.open("r+b")
            except FileNotFoundError:
                continue
            self._files[path] = TailFile(path, handle, _read_done(path))

    def _remove(self, tail: TailFile) -> None:
        tail.path.unlink(missing_ok=True)  # still locked by us: nobody else takes it meanwhile
        _done_path(tail.path).unlink(missing_ok=True)
        tail.handle.close()
        del self._files[tail.path]
        _fsync_directory(self.directory)


def _try_lock(handle: BinaryIO) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _cut_torn_tail(tail: TailFile) -> None:
    handle = tail.handle
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return
    handle.seek(tail.offset)
    keep = tail.offset + handle.read().rfind(b"\n") + 1
    log.warning("call_spool_torn_tail_removed", file=tail.path.name, bytes=size - keep)
    handle.truncate(keep)
    os.fsync(handle.fileno())


def _done_path(path: Path) -> Path:
    return path.with_name(path.name + _DONE)


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


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
