"""What the recorder costs per call, by chunk size: the books' half of the installation's CPU.

    uv run python bench/recorder.py                      # 10,000 calls, chunks of 20, 100, 500, 2000
    uv run python bench/recorder.py --calls 20000 --chunks 500

For each chunk size: a fresh SQLite database (migrated), ``--calls`` audited 2xx calls written to a
local spool as the serving processes write them (``books.item.encode``), then one ``Recorder`` drains
them in chunks of that size (audit events into the Merkle tree, records, roll-ups), pinned to one core
(``--cpu``). Printed per size: wall seconds, calls per second, and CPU ms per call (the process's
user + system time, its threads included: aiosqlite runs the database in one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make src/ importable when not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from trueport.audit.log import AuditLog
from trueport.audit.spool import Spool
from trueport.books.item import encode
from trueport.books.recorder import Recorder
from trueport.books.sources import SpoolSource
from trueport.books.spool import SpoolWriter
from trueport.db.engine import create_engine, session_factory
from trueport.db.migrate import upgrade_to_head
from trueport.usage.pricing import PricingCatalog, TenantPrices
from trueport.usage.records import RequestRecordData
from trueport.usage.writer import RecordWriter

_HEADERS = [(b"x-ratelimit-limit-requests", b"600"), (b"x-ratelimit-remaining-requests", b"599")]


def call_lines(count: int) -> list[bytes]:
    lines = []
    for _ in range(count):
        record = RequestRecordData(
            id=str(uuid.uuid4()),
            created_at=datetime.now(UTC),
            endpoint="/v1/chat/completions",
            status_code=200,
            tenant_id=str(uuid.UUID(int=1)),
            key_id=str(uuid.UUID(int=2)),
            alias="gpt-4o-mini",
            provider="openai",
            upstream_model="gpt-4o-mini",
            prompt_tokens=25,
            completion_tokens=12,
            latency_ms=3.0,
            targets_tried=["openai/gpt-4o-mini"],
        )
        lines.append(encode(record, 200, _HEADERS, audited=True))
    return lines


async def measure(calls: int, chunk: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="trueport-recorder-bench-") as directory:
        root = Path(directory)
        url = f"sqlite+aiosqlite:///{root / 'books.db'}"
        await asyncio.to_thread(upgrade_to_head, url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        writer = SpoolWriter(root / "spool")
        writer.append(call_lines(calls))
        writer.close()
        prices = TenantPrices(PricingCatalog.load())
        records = RecordWriter(sessions, prices, batch_size=chunk, flush_interval_s=1.0, max_pending=chunk)
        recorder = Recorder(
            SpoolSource(root / "spool"),
            sessions,
            records,
            AuditLog(sessions, Spool(root / "unused")),
            batch_size=chunk,
        )
        started, cpu = time.perf_counter(), time.process_time()
        await recorder.drain()
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        await recorder.source.close()
        await engine.dispose()
        if recorder.calls != calls:
            raise SystemExit(f"the recorder wrote {recorder.calls} of {calls} calls")
    return wall, used


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--chunks", default="20,100,500,2000", help="comma-separated chunk sizes")
    parser.add_argument("--cpu", type=int, default=0, help="the core to pin to (-1: no pinning)")
    args = parser.parse_args()
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    print("| chunk | calls | wall s | calls/s | CPU ms/call |\n|---:|---:|---:|---:|---:|")
    for chunk in (int(size) for size in args.chunks.split(",")):
        wall, used = asyncio.run(measure(args.calls, chunk))
        print(
            f"| {chunk} | {args.calls} | {wall:.2f} | {args.calls / wall:,.0f} | {used / args.calls * 1000:.3f} |"
        )


if __name__ == "__main__":
    main()
