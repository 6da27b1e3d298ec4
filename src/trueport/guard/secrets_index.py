"""Which provider rules (``secrets_rules.RULES``) can match a text: their keyword prefilter, done once
per distinct keyword."""

from __future__ import annotations

from trueport.guard.secrets_rules import RULES, Rule


class RuleIndex:
    """The rules whose prefilter passes for a text, found with one test per distinct keyword.

    Testing each rule's keywords in turn made ~170 generator calls per text, most of a short text's
    scan; here each distinct keyword is tested once and maps to the rules that list it. A short text
    is tested for fewer still: a keyword can occur only where its first three characters do, so the
    set of the text's three-character substrings picks the keywords worth looking for (walking 170
    keywords scattered in memory costs more than the set on a request's cold cache). Both ways find
    the same rules.
    """

    def __init__(self, rules: tuple[Rule, ...]):
        self._rules = rules
        by_keyword: dict[str, list[int]] = {}
        for position, rule in enumerate(rules):
            for keyword in rule.keywords:
                by_keyword.setdefault(keyword, []).append(position)
        self._by_keyword = tuple((keyword, tuple(positions)) for keyword, positions in by_keyword.items())
        self._short = tuple((k, p) for k, p in self._by_keyword if len(k) < _PREFIX)
        by_prefix: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for keyword, positions in self._by_keyword:
            if len(keyword) >= _PREFIX:
                by_prefix.setdefault(keyword[:_PREFIX], []).append((keyword, positions))
        self._by_prefix = {prefix: tuple(entries) for prefix, entries in by_prefix.items()}
        self._prefixes = frozenset(self._by_prefix)

    def candidates(self, lower: str) -> list[Rule]:
        """The rules (in their order) one of whose keywords occurs in ``lower`` (the lower-cased text)."""
        if len(lower) > _SHORT_TEXT:
            hits = {p for keyword, positions in self._by_keyword if keyword in lower for p in positions}
        else:
            hits = {p for keyword, positions in self._short if keyword in lower for p in positions}
            grams = {lower[i : i + _PREFIX] for i in range(len(lower) - _PREFIX + 1)}
            for prefix in self._prefixes.intersection(grams):
                for keyword, positions in self._by_prefix[prefix]:
                    if keyword in lower:
                        hits.update(positions)
        return [self._rules[p] for p in sorted(hits)]


_PREFIX = 3  # keywords are looked up by their first three characters
_SHORT_TEXT = 1_000  # up to this many characters the set of a text's 3-grams is the cheaper way


INDEX = RuleIndex(RULES)
