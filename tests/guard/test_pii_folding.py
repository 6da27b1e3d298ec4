"""PII hidden by invisible characters or look-alike punctuation (issue #10, finding 11): found on the
folded text, reported and redacted at the original offsets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trueport.guard.base import ScanContext
from trueport.guard.pii import PiiDetector
from trueport.guard.pii_folding import fold
from trueport.guard.redaction import RedactionMap

CONTEXT = ScanContext()
EVASIONS = [
    ("zero-width space", "john\u200b.doe@example.com"),
    ("soft hyphen", "john\u00ad.doe@example.com"),
    ("zero-width joiner in the domain", "john.doe@exam\u200dple.com"),
    ("ideographic full stop", "john.doe@example\u3002com"),
    ("half-width ideographic full stop", "john.doe@example\uff61com"),
    ("full-width at sign", "john.doe\uff20example.com"),
    (
        "full-width address",
        "\uff4a\uff4f\uff48\uff4e\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d",
    ),
    ("word joiner and bidi mark", "john\u2060.doe@\u200eexample.com"),
]


@pytest.fixture(scope="module")
def rules() -> PiiDetector:
    return PiiDetector(use_model=False)


@pytest.mark.parametrize(("how", "address"), EVASIONS, ids=[how for how, _ in EVASIONS])
def test_a_hidden_email_is_found_at_its_original_offsets(rules: PiiDetector, how: str, address: str) -> None:
    text = f"Please write to {address} before Friday."
    found = [f for f in rules.scan(text, CONTEXT) if f.type == "email"]
    assert [(f.start, f.end) for f in found] == [(16, 16 + len(address))], how


@pytest.mark.parametrize(("how", "address"), EVASIONS, ids=[how for how, _ in EVASIONS])
def test_redaction_replaces_the_whole_original_span(rules: PiiDetector, how: str, address: str) -> None:
    text = f"Please write to {address} before Friday."
    redacted = RedactionMap().redact(text, rules.scan(text, CONTEXT))
    assert redacted == "Please write to ⟦EMAIL_1⟧ before Friday.", how


def test_hidden_digits_and_separators_are_read_too(rules: PiiDetector) -> None:
    card = "4111\u200b1111\u00ad1111\u200c1111"
    text = f"card {card} and SSN 536\uff0d22\uff0d1234"
    kinds = {f.type: text[f.start : f.end] for f in rules.scan(text, CONTEXT) if f.score >= 0.5}
    assert kinds["credit_card"] == card
    assert kinds["us_ssn"] == "536\uff0d22\uff0d1234"


def test_a_name_split_by_invisible_characters_is_tagged() -> None:
    detector = PiiDetector()
    text = "Please forward the contract to Ingrid Sol\u00adberg by Monday."
    names = [
        text[f.start : f.end] for f in detector.scan(text, CONTEXT) if f.type == "person" and f.score >= 0.5
    ]
    assert names == ["Ingrid Sol\u00adberg"]


def test_ascii_text_is_not_copied() -> None:
    text = "plain ascii"
    folded = fold(text)
    assert folded.text is text and not folded.changed
    assert fold("日本語のテキスト").origin is None  # nothing to fold: no offset table


@given(st.text(max_size=200))
def test_folded_spans_map_back_inside_the_original(text: str) -> None:
    folded = fold(text)
    for start in range(len(folded.text)):
        for end in (start + 1, len(folded.text)):
            a, b = folded.span(start, end)
            assert 0 <= a < b <= len(text)
            assert text[a] not in "\u200b\u00ad" and text[b - 1] not in "\u200b\u00ad"
