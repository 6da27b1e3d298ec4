"""The local call spool: writers append and fsync, one reader tails, files go once read and released."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from trueport.books.spool import SUFFIX, SpoolTail, SpoolWriter


def read_all(tail: SpoolTail) -> list[bytes]:
    lines: list[bytes] = []
    while (found := tail.read(100)) is not None:
        lines += found[1]
        tail.mark(*found)
    return lines


def test_a_live_file_is_tailed_and_kept_until_its_writer_lets_go(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path)
    tail = SpoolTail(tmp_path)
    assert tail.acquire()
    writer.append([b"one", b"two"])
    assert read_all(tail) == [b"one", b"two"]
    writer.append([b"three"])
    assert read_all(tail) == [b"three"]
    assert len(list(tmp_path.glob(f"*{SUFFIX}"))) == 1  # still held by its writer
    writer.close()
    assert read_all(tail) == []
    assert list(tmp_path.glob(f"*{SUFFIX}")) == []  # released and read: deleted
    tail.close()


def test_a_new_reader_starts_where_the_last_one_recorded(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path)
    writer.append([b"a", b"b"])
    first = SpoolTail(tmp_path)
    assert first.acquire()
    found = first.read(1)
    assert found is not None and found[1] == [b"a"]
    first.mark(*found)
    second = SpoolTail(tmp_path)
    assert not second.acquire()  # one reader per directory
    first.close()
    assert second.acquire()
    assert read_all(second) == [b"b"]
    second.close()
    writer.close()


def test_rotation_starts_a_new_file_and_the_old_one_goes_once_read(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path, rotate_bytes=10)
    tail = SpoolTail(tmp_path)
    assert tail.acquire()
    writer.append([b"0123456789"])
    writer.append([b"next"])
    assert len(list(tmp_path.glob(f"*{SUFFIX}"))) == 2
    assert read_all(tail) == [b"0123456789", b"next"]
    assert len(list(tmp_path.glob(f"*{SUFFIX}"))) == 1
    writer.close()
    tail.close()


def test_a_writer_killed_mid_line_leaves_only_its_complete_lines(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from trueport.books.spool import SpoolWriter\n"
        "w = SpoolWriter(Path(sys.argv[1]))\n"
        "w.append([b'complete'])\n"
        "w._handle.write(b'torn'); w._handle.flush()\n"
        "os._exit(0)\n"  # no close: as a kill -9 leaves it
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    tail = SpoolTail(tmp_path)
    assert tail.acquire()
    assert read_all(tail) == [b"complete"]
    assert list(tmp_path.glob(f"*{SUFFIX}")) == []
    tail.close()


def test_appends_are_on_disk_when_append_returns(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path)
    writer.append([b"x" * 100])
    assert writer.path is not None and os.path.getsize(writer.path) == 101
    writer.close()
