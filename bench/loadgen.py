"""Open-loop, fixed-rate load generator for chat completions (no coordinated omission).

Request ``i`` is scheduled at ``t0 + i / rate`` whatever happened to earlier requests, and its latency
is measured from that *scheduled* time, not from when it was actually sent. A system that stalls
therefore shows its stall in the percentiles instead of silently lowering the offered load (the
"coordinated omission" a closed-loop tool like wrk suffers from).

Every request ends as one outcome: an HTTP status, or a client error (timeout, connection reset, ...).
Latency percentiles cover every outcome, errors included (at the time the error was known).

Prints one JSON object on stdout.
Run: ``python bench/loadgen.py --url http://127.0.0.1:9100/v1/chat/completions --rate 200 --duration 15``
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import orjson
import uvloop


@dataclass
class Outcomes:
    """What the measured requests (warm-up excluded) ended as."""

    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    send_lag_s: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (``fraction`` in [0, 1])."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ms(values_s: list[float]) -> dict[str, float]:
    ordered = sorted(values_s)
    if not ordered:
        return {}
    return {
        "p50": percentile(ordered, 0.50) * 1000,
        "p90": percentile(ordered, 0.90) * 1000,
        "p99": percentile(ordered, 0.99) * 1000,
        "p999": percentile(ordered, 0.999) * 1000,
        "max": ordered[-1] * 1000,
        "mean": sum(ordered) / len(ordered) * 1000,
    }


def request_body(model: str, number: int) -> bytes:
    """The request: the same system prompt every time, a user text of its own (as real traffic has)."""
    return orjson.dumps(
        {
            "model": model,
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": f"Say hello to visitor {number}."},
            ],
            "max_tokens": 16,
        }
    )


async def one_request(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    scheduled: float,
    outcomes: Outcomes | None,
) -> None:
    sent = time.perf_counter()
    error: str | None = None
    detail = ""
    try:
        async with session.post(url, data=body, headers=headers) as response:
            content = await response.read()
            status = response.status
        if status >= 300:
            detail = f"HTTP {status}: {content[:200].decode(errors='replace')}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        status = 0
        error = type(exc).__name__
        detail = f"{error}: {exc}"
    done = time.perf_counter()
    if outcomes is None:
        return
    outcomes.latencies_s.append(done - scheduled)
    outcomes.send_lag_s.append(sent - scheduled)
    if error is None:
        outcomes.statuses[status] += 1
    else:
        outcomes.errors[error] += 1
    if detail and len(outcomes.error_samples) < 5:
        outcomes.error_samples.append(detail)


async def run(args: argparse.Namespace) -> dict[str, object]:
    headers = {"content-type": "application/json"}
    if args.key:
        headers["authorization"] = f"Bearer {args.key}"
    interval = 1.0 / args.rate
    warmup_count = round(args.warmup * args.rate)
    measured_count = round(args.duration * args.rate)
    total = warmup_count + measured_count
    outcomes = Outcomes()
    connector = aiohttp.TCPConnector(limit=args.connections, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    tasks: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        t0 = time.perf_counter() + 0.05
        for i in range(total):
            scheduled = t0 + i * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            record = outcomes if i >= warmup_count else None
            task = asyncio.create_task(
                one_request(session, args.url, request_body(args.model, i), headers, scheduled, record)
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        offered_s = time.perf_counter() - t0
        if tasks:
            # Bounded: every request has its own total timeout; this is a safety net on top of it.
            _done, pending = await asyncio.wait(set(tasks), timeout=args.timeout + 5)
            for task in pending:
                task.cancel()
            unfinished = len(pending)
        else:
            unfinished = 0
    ok = sum(count for status, count in outcomes.statuses.items() if 200 <= status < 300)
    non_2xx = {str(status): count for status, count in sorted(outcomes.statuses.items()) if status >= 300}
    return {
        "url": args.url,
        "model": args.model,
        "rate": args.rate,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "scheduled": measured_count,
        "completed": len(outcomes.latencies_s),
        "ok": ok,
        "non_2xx": non_2xx,
        "errors": dict(outcomes.errors),
        "unfinished": unfinished,
        "error_samples": outcomes.error_samples,
        "offered_wall_s": offered_s,
        "latency_ms": summarize_ms(outcomes.latencies_s),
        "send_lag_ms": summarize_ms(outcomes.send_lag_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="full URL of the chat completions endpoint")
    parser.add_argument("--key", default="", help="bearer token")
    parser.add_argument("--model", default="bench-model")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds at the same rate, not recorded")
    parser.add_argument("--connections", type=int, default=512, help="connection pool limit")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout (s)")
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
    result = uvloop.run(run(args))
    sys.stdout.buffer.write(orjson.dumps(result) + b"\n")


if __name__ == "__main__":
    main()
