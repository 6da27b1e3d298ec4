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
