"""Which provider rules (``secrets_rules.RULES``) can match a text: their keyword prefilter, done once
per distinct keyword."""

from __future__ import annotations

from trueport.guard.secrets_rules import RULES, Rule


class RuleIndex:
    """The rules whose prefilter passes for a text, found with one test per distinct keyword.

    Testing each rule's keywords in turn made ~170 generator calls per text, most of a short text's
    scan; here each distinct keyword is tested once and maps to the rules that list it.
    """

    def __init__(self, rules: tuple[Rule, ...]):
        self._rules = rules
        by_keyword: dict[str, list[int]] = {}
        for position, rule in enumerate(rules):
            for keyword in rule.keywords:
                by_keyword.setdefault(keyword, []).append(position)
        self._by_keyword = tuple((keyword, tuple(positions)) for keyword, positions in by_keyword.items())

    def candidates(self, lower: str) -> list[Rule]:
        """The rules (in their order) one of whose keywords occurs in ``lower`` (the lower-cased text)."""
        hits = {p for keyword, positions in self._by_keyword if keyword in lower for p in positions}
        return [self._rules[p] for p in sorted(hits)]


INDEX = RuleIndex(RULES)
