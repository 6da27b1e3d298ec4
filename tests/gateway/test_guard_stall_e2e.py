"""One tenant's huge request cannot stall another tenant's small one (a real `trueport serve` with the
guard on, its default detectors, two tenants).

The small request's latency is measured alone, then while the other tenant's request is in the
gateway; the difference must stay under 50 ms. Scans run in the guard's thread pool, and what one
request may have scanned is bounded by its policy's ``scan_limits``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.gateway.served import Served, serve
from tests.support import free_port

from trueport.guard.policy import default_policy
from trueport.jsonutil import dumps, loads

pytestmark = pytest.mark.slow

SMALL = {"model": "oa", "messages": [{"role": "user", "content": "What is the capital of Peru?"}]}
HUGE = {  # 50,000 short messages, 3.8 MiB (within the default limits.max_body_bytes)
    "model": "big",
    "messages": [
        {"role": "user", "content": f"m{i}: mail jane.doe{i}@example.com re: plan"} for i in range(50_000)
    ],
}
MAX_DELAY_MS = 50


def _config(workdir: Path, mocks: tuple[str, str], policy: Path | None = None) -> Path:
    path = workdir / "trueport.yaml"
    policy_line = f", policy_file: '{policy}'" if policy is not None else ""
    path.write_text(f"""
database: sqlite:///{workdir}/gateway.db
secret_key: stall-test-secret-that-is-32-bytes-or-more
guard: {{enabled: true{policy_line}}}
audit: {{spool_dir: '{workdir / "audit-spool"}'}}
providers:
  oa: {{type: openai, base_url: "{mocks[0]}/v1", api_key: "sk-up", timeout_s: 120}}
  big: {{type: openai, base_url: "{mocks[1]}/v1", api_key: "sk-up", timeout_s: 120}}
models:
  oa: [{{provider: oa, model: gpt-4o-mini}}]
  big: [{{provider: big, model: gpt-4o-mini}}]
""")
    return path


@pytest.fixture(scope="module")
def mocks() -> Iterator[tuple[str, str]]:
    """Two emulators, each in a process of its own: each tenant's upstream, and not this process's
    (whose threads must only measure)."""
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "trueport",
            "mock-provider",
            "--port",
            str(port),
            "--api-key",
            "sk-up",
        ]
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/_mock/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def _serve(workdir: Path, mocks: tuple[str, str], policy: Path | None = None) -> Iterator[Served]:
    server = serve(_config(workdir, mocks, policy), workdir, tenants=("acme", "globex"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, mocks: tuple[str, str]) -> Iterator[Served]:
    yield from _serve(tmp_path_factory.mktemp("stall"), mocks)


@pytest.fixture(scope="module")
def skipping(tmp_path_factory: pytest.TempPathFactory, mocks: tuple[str, str]) -> Iterator[Served]:
    """The installation policy skips (and flags) what is over its scan limits instead of refusing it."""
    workdir = tmp_path_factory.mktemp("stall-skip")
    policy = default_policy().model_dump(mode="json")
    policy["scan_limits"] = {"over_limit": "skip"}
    (workdir / "policy.json").write_bytes(dumps(policy))
    yield from _serve(workdir, mocks, workdir / "policy.json")


def _small_latencies_ms(client: httpx.Client, key: str, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.post("/v1/chat/completions", json=SMALL, headers={"Authorization": f"Bearer {key}"})
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return latencies


_SEND = """
import sys, httpx
url, key, path = sys.argv[1:]
with open(path, "rb") as body:
    data = body.read()
with httpx.Client(timeout=120) as client:
    client.get(url.removesuffix("/v1/chat/completions") + "/healthz")
    print("ready", flush=True)
    sys.stdin.readline()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    answer = client.post(url, content=data, headers=headers)
sys.stdout.write(f"{answer.status_code}\\n{answer.text}")
"""


def _delay_while(served: Served, body: bytes, workdir: Path) -> tuple[float, list[float], int, str]:
    """(median alone, latencies while ``body`` of the other tenant is in the gateway, its status and text).

    The big request is sent by another process, so that this one's threads only measure."""
    small_key, big_key = served.new_key("globex"), served.new_key("acme")
    (workdir / "body.json").write_bytes(body)
    with httpx.Client(base_url=served.url, timeout=120) as client:
        _small_latencies_ms(client, small_key, 5)  # warm up
        alone = statistics.median(_small_latencies_ms(client, small_key, 20))
        sender = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _SEND,
                f"{served.url}/v1/chat/completions",
                big_key,
                str(workdir / "body.json"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert sender.stdin is not None and sender.stdout is not None
        assert sender.stdout.readline() == "ready\n"  # started, connected, its body in memory
        time.sleep(0.2)
        sender.stdin.write("go\n")
        sender.stdin.flush()
        during: list[float] = []
        while sender.poll() is None or not during:
            during += _small_latencies_ms(client, small_key, 1)
        output, _ = sender.communicate()
    print(f"alone: median {alone:.1f} ms; during ({len(during)}): {sorted(round(d, 1) for d in during)}")
    status, _, text = output.partition("\n")
    return alone, sorted(during), int(status), text


def _p90(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=10)[-1]


def test_a_50000_message_request_is_refused_at_once_and_delays_no_one(served: Served, tmp_path: Path) -> None:
    alone, during, status, text = _delay_while(served, dumps(HUGE), tmp_path)
    assert status == 400, text
    error = loads(text)["error"]
    assert error["code"] == "policy_violation"
    assert "50000 messages, more than the 2000" in error["message"]
    assert during[-1] - alone < MAX_DELAY_MS, (alone, during)  # not one was delayed more


def test_skipped_over_the_limit_it_is_forwarded_unscanned_and_delays_no_one(
    skipping: Served, tmp_path: Path
) -> None:
    alone, during, status, text = _delay_while(skipping, dumps(HUGE), tmp_path)
    assert status == 200, text[:300]
    # Forwarding it means parsing, serialising and sending 4 MiB on the event loop: tens of ms, a few
    # times, that the odd request of another tenant meets (up to ~90 ms measured on a busy 2-core
    # machine, where only a dozen small requests fit in the window); the typical one does not.
    assert statistics.median(during) - alone < MAX_DELAY_MS, (alone, during)


def test_a_large_request_within_the_limits_is_scanned_off_the_event_loop(
    served: Served, tmp_path: Path
) -> None:
    within = {  # 1,900 messages, 400 KiB of PII-dense text: seconds of scanning, all of it allowed
        "model": "big",
        "messages": [
            {
                "role": "user",
                "content": f"mail jane.doe{i}@example.com or call +1 415 555 {i % 10000:04d}. " * 3,
            }
            for i in range(1_900)
        ],
    }
    alone, during, status, text = _delay_while(served, dumps(within), tmp_path)
    assert status in (200, 503), text[:300]  # scanned, or over its deadline (pii fails closed)
    assert len(during) > 20  # seconds of scanning, and the other tenant was served all along
    assert _p90(during) - alone < MAX_DELAY_MS, (alone, during)
