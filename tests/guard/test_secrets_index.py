"""The rule index finds exactly the rules whose keyword prefilter passes, in rule order."""

from __future__ import annotations

import pytest

from trueport.guard.secrets_index import INDEX, RuleIndex
from trueport.guard.secrets_rules import RULES, _r

TEXTS = [
    "",
    "Say hello.",
    "my key is AKIA and also ghp_ and sk-ant- and xoxb-",
    "Authorization: Basic dXNlcjpwYXNz and eyJhbGciOi",
    "nothing to see here but a period.",
    "ANTHROPIC_API_KEY=sk-ant-api03-abc dckr_pat_x glpat-",
]


@pytest.mark.parametrize("text", TEXTS)
def test_candidates_are_the_rules_whose_keywords_occur(text: str) -> None:
    lower = text.lower()
    expected = [rule for rule in RULES if any(k in lower for k in rule.keywords)]
    assert INDEX.candidates(lower) == expected


def test_a_keyword_shared_by_two_rules_selects_both_in_order() -> None:
    first, second, third = (
        _r("a", r"(?P<s>x)", "shared"),
        _r("b", r"(?P<s>y)", "other"),
        _r("c", r"(?P<s>z)", "shared"),
    )
    index = RuleIndex((first, second, third))
    assert index.candidates("a shared word") == [first, third]
    assert index.candidates("other") == [second]
    assert index.candidates("none") == []


def test_short_and_long_texts_find_the_same_rules_as_every_keyword_tested() -> None:
    """Up to 1,000 characters the index looks keywords up by their first three characters; longer
    texts test every keyword. Both find exactly the rules a keyword test of each rule finds."""
    import json
    from pathlib import Path

    samples = (
        Path(__file__).resolve().parents[3] / "shared" / "datasets" / "secrets" / "gitleaks-samples.jsonl"
    )
    texts = [json.loads(line)["text"] for line in samples.read_text(encoding="utf-8").splitlines() if line]
    keywords = sorted({k for rule in RULES for k in rule.keywords})
    texts += [f"prefix {k} suffix" for k in keywords] + [
        k for k in keywords
    ]  # each keyword, alone and inside
    texts += ["x" * 990 + k for k in keywords[:20]] + ["x" * 1200 + k for k in keywords[:20]]
    found = 0
    for text in texts:
        lower = text.lower()
        expected = [rule for rule in RULES if any(k in lower for k in rule.keywords)]
        assert INDEX.candidates(lower) == expected, text[:80]
        found += bool(expected)
    assert found > len(keywords)
