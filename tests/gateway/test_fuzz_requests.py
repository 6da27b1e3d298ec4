"""Fuzzing the data plane: whatever a key holder sends, the gateway answers in the documented error shape,
never with a 500, never hangs, and keeps recording every tenant's requests.

Runs against a real gateway on PostgreSQL (the stricter backend: NUL bytes and column lengths are
errors there) with the default guard, in front of the provider emulator. Hypothesis is derandomised
(fixed seed, no example database), so a CI run is reproducible; raise ``TRUEPORT_FUZZ_EXAMPLES`` to
fuzz longer locally.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.gateway.fuzzing import encode, fuzz_settings, json_values
from tests.gateway.harness import gateway_settings
from tests.gateway.threaded import ThreadedGateway

from support.postgres import PostgresServer
from trueport.db.models import RequestRecord
from trueport.mockprovider import MockProviderThread

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FUZZ = fuzz_settings(150)

# Text a client may put anywhere: NUL and other controls, bidi and zero-width characters, astral
# characters, very long runs. (Lone surrogates cannot be encoded as UTF-8 JSON; raw bytes cover them.)
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from('\x00\x01\x7f\u200b\u202e\ufeff\U0001f600a{}"\\/'), max_size=40),
    st.integers(min_value=190, max_value=5000).map(lambda n: "m" * n),
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON_VALUE = json_values(SCALAR, TEXT, max_size=4, max_leaves=12)
ALIAS = st.one_of(st.sampled_from(["oa", "an", "ge", "az", "emb", "cached"]), TEXT, JSON_VALUE)
ROLE = st.one_of(st.sampled_from(["system", "user", "assistant", "tool", "developer", "function"]), TEXT)
CONTENT = st.one_of(
    TEXT,
    st.lists(
        st.one_of(
            st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}),
            st.fixed_dictionaries({"type": TEXT}, optional={"text": JSON_VALUE, "image_url": JSON_VALUE}),
            JSON_VALUE,
        ),
        max_size=3,
    ),
    JSON_VALUE,
)
MESSAGE = st.one_of(
    st.fixed_dictionaries(
        {"role": ROLE, "content": CONTENT},
        optional={"name": TEXT, "tool_call_id": TEXT, "tool_calls": JSON_VALUE},
    ),
    JSON_VALUE,
)
OPTIONS = {
    "stream": st.one_of(st.booleans(), JSON_VALUE),
    "max_tokens": st.one_of(st.integers(min_value=-(2**40), max_value=2**40), JSON_VALUE),
    "temperature": SCALAR,
    "n": st.one_of(st.integers(-3, 5), JSON_VALUE),
    "stream_options": JSON_VALUE,
    "tools": JSON_VALUE,
    "tool_choice": JSON_VALUE,
    "user": TEXT,
    "metadata": JSON_VALUE,
}
CHAT = st.fixed_dictionaries(
    {"model": ALIAS, "messages": st.one_of(st.lists(MESSAGE, max_size=4), JSON_VALUE)}, optional=OPTIONS
)
MESSAGES = st.fixed_dictionaries(
    {"model": ALIAS, "messages": st.one_of(st.lists(MESSAGE, max_size=4), JSON_VALUE)},
    optional={**OPTIONS, "system": CONTENT},
)
EMBEDDINGS = st.fixed_dictionaries(
    {"model": ALIAS, "input": st.one_of(TEXT, st.lists(TEXT, max_size=3), JSON_VALUE)},
    optional={"dimensions": SCALAR, "encoding_format": SCALAR},
)
ITEM = st.one_of(
    MESSAGE,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["message", "function_call", "function_call_output", "reasoning", "item_reference"]
            )
        },
        optional={
            "role": ROLE,
            "content": CONTENT,
            "call_id": TEXT,
            "name": TEXT,
            "arguments": JSON_VALUE,
            "output": CONTENT,
        },
    ),
    JSON_VALUE,
)
RESPONSES = st.fixed_dictionaries(
    {"model": ALIAS, "input": st.one_of(TEXT, st.lists(ITEM, max_size=4), JSON_VALUE)},
    optional={
        "stream": OPTIONS["stream"],
        "instructions": CONTENT,
        "max_output_tokens": OPTIONS["max_tokens"],
        "tools": st.one_of(
            JSON_VALUE, st.lists(st.fixed_dictionaries({"type": TEXT}, optional={"name": TEXT}), max_size=2)
        ),
        "tool_choice": JSON_VALUE,
        "text": JSON_VALUE,
        "previous_response_id": st.one_of(TEXT, JSON_VALUE),
        "store": SCALAR,
        "background": SCALAR,
        "reasoning": JSON_VALUE,
    },
)
# h11 refuses to send a value with whitespace around it: that is not the gateway's input to judge.
HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(
    str.strip
)
EXTRA_HEADERS = st.dictionaries(
    st.sampled_from(
        ["idempotency-key", "x-request-id", "content-type", "accept", "anthropic-version", "x-trueport-tag"]
    ),
    HEADER_VALUE,
    max_size=3,
)


@pytest.fixture(scope="module")
def fuzzed(postgres_server: PostgresServer) -> Iterator[ThreadedGateway]:
    name = f"t_{secrets.token_hex(6)}"
    url = postgres_server.create_database(name)
    try:
        with MockProviderThread(host="127.0.0.1", port=0, api_key="sk-provider-secret") as mock:
            settings_ = gateway_settings(url, mock.url, guard={"enabled": True})
            with ThreadedGateway(settings_) as gateway:
                yield gateway
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def client(fuzzed: ThreadedGateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzzed.running.url, timeout=15) as http:
        yield http


def check(response: httpx.Response, *, anthropic: bool = False) -> None:
    """Never a server error; every refusal in the shape of the dialect the client speaks."""
    assert response.status_code < 500 or response.status_code in (502, 503, 504), (
        response.status_code,
        response.text[:500],
    )
    if response.status_code < 400:
        return
    body = response.json()
    if anthropic:
        assert body["type"] == "error", body
        assert isinstance(body["error"]["type"], str) and isinstance(body["error"]["message"], str), body
    else:
        error = body["error"]
        assert isinstance(error["message"], str) and isinstance(error["type"], str), body
        assert "code" in error and "param" in error, body


def auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}", "x-api-key": key}


SENT: list[int] = []  # requests that reached the gateway, for the records check at the end


def send(
    client: httpx.Client, method: str, path: str, content: bytes | None, headers: dict[str, str]
) -> httpx.Response:
    SENT.append(1)
    return client.request(method, path, content=content, headers=headers)


@FUZZ
@given(body=CHAT, headers=EXTRA_HEADERS)
def test_chat_bodies(
    fuzzed: ThreadedGateway, client: httpx.Client, body: Any, headers: dict[str, str]
) -> None:
    headers = {"content-type": "application/json", **headers, **auth(fuzzed.running.key)}
    check(send(client, "POST", "/v1/chat/completions", encode(body), headers))


@FUZZ
@given(body=MESSAGES, headers=EXTRA_HEADERS)
def test_anthropic_bodies(
    fuzzed: ThreadedGateway, client: httpx.Client, body: Any, headers: dict[str, str]
) -> None:
    headers = {"content-type": "application/json", **headers, **auth(fuzzed.running.key)}
    check(send(client, "POST", "/v1/messages", encode(body), headers), anthropic=True)


@FUZZ
@given(body=RESPONSES, headers=EXTRA_HEADERS)
def test_responses_bodies(
    fuzzed: ThreadedGateway, client: httpx.Client, body: Any, headers: dict[str, str]
) -> None:
    headers = {"content-type": "application/json", **headers, **auth(fuzzed.running.key)}
    check(send(client, "POST", "/v1/responses", encode(body), headers))


@FUZZ
@given(body=EMBEDDINGS)
def test_embedding_bodies(fuzzed: ThreadedGateway, client: httpx.Client, body: Any) -> None:
    check(send(client, "POST", "/v1/embeddings", encode(body), auth(fuzzed.running.key)))


@FUZZ
@given(
    path=st.sampled_from(
        ["/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/embeddings", "/v1/guard/scan"]
    ),
    content=st.one_of(st.binary(max_size=300), JSON_VALUE.map(encode)),
    headers=EXTRA_HEADERS,
)
def test_raw_bodies(
    fuzzed: ThreadedGateway, client: httpx.Client, path: str, content: bytes, headers: dict[str, str]
) -> None:
    response = send(client, "POST", path, content, {**headers, **auth(fuzzed.running.key)})
    check(response, anthropic=path == "/v1/messages")


@FUZZ
@given(model=TEXT, method=st.sampled_from(["GET", "POST", "DELETE"]))
def test_model_paths(fuzzed: ThreadedGateway, client: httpx.Client, model: str, method: str) -> None:
    path = "/v1/models/" + quote(model, safe="")
    check(send(client, method, path, None, auth(fuzzed.running.key)))


@FUZZ
@given(
    credential=st.one_of(
        HEADER_VALUE, st.just("Bearer"), HEADER_VALUE.map(lambda v: ("Bearer " + v).strip())
    ),
    scheme=st.sampled_from(["authorization", "x-api-key", "api-key"]),
)
def test_credentials(fuzzed: ThreadedGateway, client: httpx.Client, credential: str, scheme: str) -> None:
    body = encode({"model": "oa", "messages": [{"role": "user", "content": "hi"}]})
    response = send(
        client, "POST", "/v1/chat/completions", body, {scheme: credential, "content-type": "application/json"}
    )
    check(response)
    assert response.status_code in (401, 400), response.text


def test_after_the_fuzzing_every_request_is_recorded_and_the_gateway_serves(
    fuzzed: ThreadedGateway, client: httpx.Client
) -> None:
    """Runs last in this module: no request above stalled the record writer for everyone."""
    marker = f"after-fuzz-{secrets.token_hex(4)}"
    response = client.post(
        "/v1/chat/completions",
        json={"model": "oa", "messages": [{"role": "user", "content": "still there?"}], "user": marker},
        headers=auth(fuzzed.running.key),
    )
    assert response.status_code == 200, response.text
    gateway = fuzzed.running

    async def count() -> int:
        await gateway.app.gateway.records.flush()
        async with gateway.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(RequestRecord)) or 0)

    deadline = time.monotonic() + 10
    recorded = fuzzed.call(count())
    while recorded < len(SENT) + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
        recorded = fuzzed.call(count())
    assert recorded == len(SENT) + 1, (recorded, len(SENT) + 1)
