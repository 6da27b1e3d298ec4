"""Every provider's usage parser refuses counts that are not integers from 0 to 10**9."""

from __future__ import annotations

import pytest

from trueport.formats.anthropic_egress import UsageCounter, usage_from_anthropic
from trueport.formats.gemini import usage_from_gemini
from trueport.providers.base import Usage
from trueport.providers.openai import usage_from_openai
from trueport.usage.upstream import MAX_UPSTREAM_TOKENS, estimated_usage

BAD = [
    -1,
    -1_000_000_000,
    MAX_UPSTREAM_TOKENS + 1,
    10**30,
    1e30,
    1.5,
    float("nan"),
    float("inf"),
    "many",
    "12",
    True,
    [],
    {},
]
GOOD = [(0, 0), (7, 7), (12.0, 12), (MAX_UPSTREAM_TOKENS, MAX_UPSTREAM_TOKENS), (None, 0)]


@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_a_bad_count_makes_the_usage_invalid_in_every_format(bad: object) -> None:
    assert usage_from_openai({"prompt_tokens": bad, "completion_tokens": 3}) == Usage(invalid=True)
    assert usage_from_openai({"prompt_tokens": 3, "completion_tokens": bad}).invalid
    assert usage_from_openai({"prompt_tokens": 3, "prompt_tokens_details": {"cached_tokens": bad}}).invalid
    assert usage_from_anthropic({"input_tokens": bad, "output_tokens": 3}).invalid
    assert usage_from_anthropic({"input_tokens": 3, "cache_read_input_tokens": bad}).invalid
    assert usage_from_gemini({"promptTokenCount": bad, "candidatesTokenCount": 3}).invalid
    assert usage_from_gemini({"promptTokenCount": 3, "thoughtsTokenCount": bad}).invalid


@pytest.mark.parametrize(("raw", "count"), GOOD, ids=repr)
def test_good_counts_are_kept(raw: object, count: int) -> None:
    assert usage_from_openai({"prompt_tokens": raw, "completion_tokens": 1}) == Usage(count, 1)
    assert usage_from_anthropic({"input_tokens": raw, "output_tokens": 1}) == Usage(count, 1)
    assert usage_from_gemini({"promptTokenCount": raw, "candidatesTokenCount": 1}) == Usage(count, 1)


def test_a_stream_that_ever_sent_a_bad_count_stays_invalid() -> None:
    counter = UsageCounter()
    counter.update({"input_tokens": -5})
    counter.update({"output_tokens": 9})
    assert counter.usage.invalid


def test_cached_tokens_never_exceed_the_prompt() -> None:
    usage = usage_from_openai({"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 50}})
    assert usage.cached_tokens == 10


def test_the_estimate_is_the_prompt_and_the_most_the_request_allowed() -> None:
    request = {"messages": [{"role": "user", "content": "x" * 400}], "max_tokens": 64}
    usage = estimated_usage(request, 4096)
    assert usage.invalid and usage.completion_tokens == 64 and 100 <= usage.prompt_tokens < 120
    assert estimated_usage({"messages": []}, 4096).completion_tokens == 4096
