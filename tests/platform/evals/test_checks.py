"""The checks a route case makes on an answer: JSON found where models put it, schema failures that
name the keyword and never the answer's value, guard verdicts read from what the gateway answered."""

from __future__ import annotations

import pytest

from trueport.platform.evals.checks import (
    answer_json,
    check_cost,
    check_guard,
    check_json_schema,
    check_latency,
    check_regex,
    check_schema,
    guard_verdicts,
)

SCHEMA = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}


@pytest.mark.parametrize(
    "answer",
    [
        '{"n": 1}',
        'Here it is: {"n": 1}. Anything else?',
        'Sure.\n```json\n{"n": 1}\n```\n',
        "```\n[1, 2]\n```",
    ],
)
def test_the_json_is_found_in_the_whole_answer_a_fence_or_a_sentence(answer: str) -> None:
    assert answer_json(answer) in ({"n": 1}, [1, 2])


def test_an_answer_without_json_fails_the_schema_check() -> None:
    assert answer_json("42") == 42  # a bare JSON value is JSON too
    with pytest.raises(ValueError, match="no JSON"):
        answer_json("no braces here")
    assert check_json_schema(SCHEMA, "nothing") == "json_schema: the answer holds no JSON"


def test_a_schema_failure_names_the_place_and_keyword_not_the_value() -> None:
    assert check_json_schema(SCHEMA, 'x {"n": 2} y') is None
    failure = check_json_schema(SCHEMA, '{"n": "secret-value"}')
    assert failure == "json_schema: at n: fails 'type' ('integer')"
    assert check_json_schema(SCHEMA, "{}") == "json_schema: at (root): fails 'required' (['n'])"


def test_schemas_are_checked_when_saved() -> None:
    check_schema(SCHEMA, 1000)
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        check_schema({"type": 3}, 1000)
    with pytest.raises(ValueError, match="more than 10"):
        check_schema(SCHEMA, 10)


def test_guard_verdicts_come_from_the_block_and_the_guard_header() -> None:
    blocked = guard_verdicts(
        400, "policy_violation", "the request was blocked by the secrets detector (github_token)", ""
    )
    assert blocked == {"secrets": "blocked"}
    flagged = guard_verdicts(200, None, "", "redacted=1; flagged=injection,bias")
    assert flagged == {"injection": "flagged", "bias": "flagged"}
    assert guard_verdicts(502, "upstream_failed", "blocked by the secrets detector", "") == {}
    assert check_guard({"secrets": "detected", "pii": "clean"}, blocked) is None
    assert check_guard({"bias": "blocked"}, flagged) == "guard: bias: expected blocked, got flagged"


def test_regex_latency_and_cost_ceilings() -> None:
    assert check_regex(r"\d+", "order 42") is None
    assert check_regex(r"^\d+$", "order 42") == "regex: no match of '^\\\\d+$' in the answer"
    assert check_latency(100, 99.9) is None and check_latency(100, 100.1) is not None
    assert check_cost(0.01, 0.01) is None and check_cost(0, 0.000001) is not None


def test_a_reference_the_schema_does_not_hold_fails_the_case_and_is_never_fetched() -> None:
    schema = {"$ref": "http://127.0.0.1:9/schema.json"}
    check_schema(schema, 1000)
    failure = check_json_schema(schema, '{"n": 1}')
    assert (
        failure == "json_schema: the schema's reference 'http://127.0.0.1:9/schema.json' cannot be resolved"
    )
