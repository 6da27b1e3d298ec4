"""A hostile or broken upstream cannot exhaust the gateway's memory, crash a call or speak to the client.

Against a real `trueport serve` process whose providers point at the emulator's malformed modes
(``trueport.mockprovider.malformed``): oversized answers are cut at ``max_response_bytes`` and never
retried, malformed ones are a 502 in the OpenAI error shape, and no upstream text, provider name or
target model reaches the client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.gateway.served import Served, serve

from trueport.mockprovider import MockProviderThread

pytestmark = pytest.mark.slow

PROVIDER_KEY = "sk-upstream-account-secret-4711"
ALIASES = {
    "huge": "huge=600",
    "huge-declared": "huge-declared=600",
    "not-json": "not-json",
    "nan": "nan",
    "nope": "choices-nope",
    "wrong-types": "wrong-types",
    "long-line": "long-line=600",
    "echo": "echo-key",
}


def _config(path: Path, mock_url: str) -> Path:
    providers = "\n".join(
        f'  up-{alias}: {{type: openai, base_url: "{mock_url}/malformed/{mode}/v1", api_key: "{PROVIDER_KEY}",'
        " timeout_s: 60, stream_idle_timeout_s: 60}"
        for alias, mode in ALIASES.items()
    )
    models = "\n".join(
        f"  {alias}: [{{provider: up-{alias}, model: secret-model-{alias}}}]" for alias in ALIASES
    )
    path.write_text(f"""
database: sqlite:///{path.parent}/gateway.db
secret_key: bounds-test-secret-that-is-32-bytes-or-more
guard: {{enabled: false}}
audit: {{spool_dir: '{path.parent / "audit-spool"}'}}
providers:
{providers}
  capped: {{type: openai, base_url: "{mock_url}/malformed/long-line=600/v1", api_key: "{PROVIDER_KEY}",
           max_response_bytes: 262144}}
models:
{models}
  capped: [{{provider: capped, model: secret-model-capped}}]
""")
    return path


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProviderThread]:
    with MockProviderThread() as server:
        yield server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, mock: MockProviderThread) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("bounds")
    server = serve(_config(workdir / "trueport.yaml", mock.url), workdir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def key(served: Served) -> str:
    return served.new_key()


def _chat(served: Served, key: str, alias: str, *, stream: bool = False) -> httpx.Response:
    body = {"model": alias, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    return httpx.post(
        f"{served.url}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )


def _hits(mock: MockProviderThread, mode: str) -> int:
    return int(httpx.get(f"{mock.url}/malformed/_hits").json().get(mode, 0))


def _assert_generic_502(response: httpx.Response, alias: str) -> None:
    assert response.status_code == 502, response.text[:500]
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    assert alias in error["message"]
    for leak in ("up-", "secret-model", PROVIDER_KEY, "/malformed/", "exploded", "127.0.0.1"):
        assert leak not in response.text


@pytest.mark.parametrize("alias", ["huge", "huge-declared"])
def test_a_600_mib_answer_is_a_502_without_retry_and_the_gateway_stays_under_300_mib(
    served: Served, key: str, mock: MockProviderThread, alias: str
) -> None:
    before = _hits(mock, ALIASES[alias])
    response = _chat(served, key, alias)
    print(f"peak RSS of trueport serve: {served.peak_rss_mib():.0f} MiB")
    assert served.peak_rss_mib() < 300
    assert _hits(mock, ALIASES[alias]) - before == 1  # not retried
    _assert_generic_502(response, alias)


def test_a_600_mib_stream_line_is_a_502_without_retry(
    served: Served, key: str, mock: MockProviderThread
) -> None:
    before = _hits(mock, "huge=600")
    response = _chat(served, key, "huge", stream=True)
    assert served.peak_rss_mib() < 300
    assert _hits(mock, "huge=600") - before == 1
    _assert_generic_502(response, "huge")


@pytest.mark.parametrize("alias", ["not-json", "nan", "nope", "wrong-types"])
def test_a_malformed_answer_is_a_generic_502(served: Served, key: str, alias: str) -> None:
    _assert_generic_502(_chat(served, key, alias), alias)


def test_a_malformed_first_chunk_is_a_502(served: Served, key: str) -> None:
    _assert_generic_502(_chat(served, key, "wrong-types", stream=True), "wrong-types")


def test_a_malformed_chunk_mid_stream_ends_it_with_an_error_event(served: Served, key: str) -> None:
    response = _chat(served, key, "nope", stream=True)
    assert response.status_code == 200
    events = [line for line in response.text.split("\n\n") if line]
    assert '"first "' in events[0]
    assert events[-1].startswith("data: ") and '"stream_broken"' in events[-1]
    assert "[DONE]" not in response.text
    for leak in ("up-", "secret-model", "/malformed/"):
        assert leak not in response.text


def test_a_600_kib_stream_line_is_delivered(served: Served, key: str) -> None:
    response = _chat(served, key, "long-line", stream=True)
    assert response.status_code == 200
    assert response.text.count("y" * 1000) >= 600
    assert response.text.rstrip().endswith("data: [DONE]")


def test_a_stream_line_over_the_cap_ends_the_stream_cleanly(served: Served, key: str) -> None:
    response = _chat(served, key, "capped", stream=True)
    assert response.status_code == 200
    events = [line for line in response.text.split("\n\n") if line]
    assert '"first "' in events[0]
    error = events[-1]
    assert '"stream_broken"' in error and "capped" in error
    assert "[DONE]" not in response.text and "y" * 1000 not in response.text


def test_upstream_error_text_and_the_account_key_never_reach_the_client(served: Served, key: str) -> None:
    response = _chat(served, key, "echo")
    _assert_generic_502(response, "echo")
    assert PROVIDER_KEY not in served.log.read_text()  # logged, but with the key taken out
