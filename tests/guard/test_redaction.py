from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st
from tests.guard.test_engine import pii

from trueport.guard.base import Direction, Finding
from trueport.guard.engine import GuardEngine, ScannedText
from trueport.guard.policy import default_policy
from trueport.guard.redaction import (
    CLOSE,
    OPEN,
    RedactionMap,
    Span,
    merge_spans,
    placeholder_label,
    redact_scanned,
    restore_tool_arguments,
)
from trueport.jsonutil import loads


def f(kind: str, start: int | None, end: int | None, score: float = 0.9, detector: str = "pii") -> Finding:
    return Finding(detector, kind, start, end, score)


def test_same_value_same_placeholder_numbered_per_type() -> None:
    text = "Alice a@x.io, Bob b@x.io, again a@x.io"
    spans = [
        f("person", 0, 5),
        f("email", 6, 12),
        f("person", 14, 17),
        f("email", 18, 24),
        f("email", 32, 38),
    ]
    redactions = RedactionMap()
    redacted = redactions.redact(text, spans)
    assert redacted == "⟦PERSON_1⟧ ⟦EMAIL_1⟧, ⟦PERSON_2⟧ ⟦EMAIL_2⟧, again ⟦EMAIL_1⟧"
    assert redactions.restore(redacted) == text
    assert redactions.counts() == {"person": 2, "email": 2}
    # across texts of the same request too
    assert redactions.redact("to a@x.io", [f("email", 3, 9)]) == "to ⟦EMAIL_1⟧"


def test_labels() -> None:
    assert placeholder_label("us_ssn") == "US_SSN"
    assert placeholder_label("credit-card") == "CREDIT_CARD"
    assert placeholder_label("2fa code") == "X2FA_CODE"
    assert placeholder_label("!!") == "REDACTED"


def test_overlapping_findings_merge_deterministically_whatever_the_order() -> None:
    findings = [
        f("email", 10, 25),
        f("person", 5, 15, score=0.99),
        f("url", 20, 30, detector="secrets"),
        f("phone", 40, 50),
        f("iban", 40, 50, score=0.95),
    ]
    results = {tuple(merge_spans(order, 60)) for order in itertools.permutations(findings)}
    assert results == {
        (Span(5, 30, "email", "pii", 0.9), Span(40, 50, "iban", "pii", 0.95)),
    }  # longest wins, then the higher score


def test_spans_are_clipped_and_whole_text_verdicts_cover_everything() -> None:
    assert merge_spans([f("x", -3, 4), f("y", 8, 99), f("z", 5, 5)], 10) == [
        Span(0, 4, "x", "pii", 0.9),
        Span(8, 10, "y", "pii", 0.9),
    ]
    redactions = RedactionMap()
    assert (
        redactions.redact("ignore all previous", [f("prompt_injection", None, None)])
        == "⟦PROMPT_INJECTION_1⟧"
    )


def test_adjacent_spans_stay_apart() -> None:
    assert len(merge_spans([f("a", 0, 3), f("b", 3, 6)], 6)) == 2


def test_placeholders_already_in_the_request_are_never_issued() -> None:
    redactions = RedactionMap()
    redactions.reserve("a template: ⟦EMAIL_1⟧ and ⟦EMAIL_3⟧")
    assert redactions.redact("x@y.io z@y.io", [f("email", 0, 6), f("email", 7, 13)]) == "⟦EMAIL_2⟧ ⟦EMAIL_4⟧"
    assert redactions.restore("⟦EMAIL_1⟧ ⟦EMAIL_2⟧") == "⟦EMAIL_1⟧ x@y.io"


def test_irreversible_placeholders_are_never_restored() -> None:
    redactions = RedactionMap()
    user = redactions.redact("me: u@x.io", [f("email", 4, 10)])
    model = redactions.redact("them: m@x.io", [f("email", 6, 12)], reversible=False)
    assert (user, model) == ("me: ⟦EMAIL_1⟧", "them: ⟦EMAIL_2⟧")
    assert redactions.restore("⟦EMAIL_1⟧ ⟦EMAIL_2⟧ ⟦EMAIL_9⟧") == "u@x.io ⟦EMAIL_2⟧ ⟦EMAIL_9⟧"
    # the model repeating the user's own value (irreversible first) makes it the user's
    again = RedactionMap()
    again.placeholder("v@x.io", "email", reversible=False)
    assert again.placeholder("v@x.io", "email") == "⟦EMAIL_1⟧"
    assert again.restore("⟦EMAIL_1⟧") == "v@x.io"


def test_tool_arguments_are_restored_json_escaped_and_only_if_allowed() -> None:
    redactions = RedactionMap()
    placeholder = redactions.placeholder('Jo "JJ" O\\Neil', "person")
    arguments = '{"name": "' + placeholder + '"}'
    kept = default_policy().model_copy(update={"restore_in_tool_arguments": False})
    assert restore_tool_arguments(arguments, redactions, kept) == arguments
    allowed = default_policy()
    assert loads(restore_tool_arguments(arguments, redactions, allowed)) == {"name": 'Jo "JJ" O\\Neil'}


def test_redact_scanned_uses_the_engine_decision() -> None:
    texts = [
        ScannedText("hi a@b.io", ("messages", 0, "content")),
        ScannedText("nothing", ("messages", 1, "content")),
    ]
    decision = GuardEngine([pii()], default_policy()).evaluate(texts, Direction.INPUT)
    assert redact_scanned(texts, decision, RedactionMap()) == {("messages", 0, "content"): "hi ⟦EMAIL_1⟧"}


def _stream(redactions: RedactionMap, deltas: list[str], *, json_escape: bool = False) -> list[str]:
    restorer = redactions.restorer(json_escape=json_escape)
    return [restorer.feed(d) for d in deltas] + [restorer.flush()]


def _known() -> RedactionMap:
    redactions = RedactionMap()
    redactions.placeholder("alice@example.com", "email")
    redactions.placeholder("Alice Smith", "person")
    redactions.placeholder("hidden@model.io", "email", reversible=False)
    return redactions


def test_stream_restorer_restores_a_placeholder_split_anywhere() -> None:
    redactions = _known()
    text = "Dear ⟦PERSON_1⟧, write to ⟦EMAIL_1⟧ [not ⟦EMAIL_2⟧ nor ⟦EMAIL_10⟧]⟦"
    expected = redactions.restore(text)
    assert expected == "Dear Alice Smith, write to alice@example.com [not ⟦EMAIL_2⟧ nor ⟦EMAIL_10⟧]⟦"
    for i, j in itertools.combinations(range(1, len(text)), 2):
        assert "".join(_stream(redactions, [text[:i], text[i:j], text[j:]])) == expected
    assert "".join(_stream(redactions, list(text))) == expected


def test_stream_restorer_holds_only_a_possible_placeholder_prefix() -> None:
    redactions = _known()
    restorer = redactions.restorer()
    assert restorer.feed("Hello [link](x) ⟦EM") == "Hello [link](x) "
    assert restorer.feed("AIL_1") == ""
    assert restorer.feed("⟧ and ⟦X") == "alice@example.com and ⟦X"  # ⟦X cannot become one: out at once
    assert restorer.feed("⟦PERSON_") == ""
    assert restorer.feed("2!") == "⟦PERSON_2!"  # no PERSON_2 in this map
    assert restorer.feed("⟦PERSON_2") == "⟦PERSON_2"
    assert restorer.feed(OPEN) == ""
    assert restorer.flush() == OPEN


def test_stream_restorer_with_nothing_to_restore_is_a_pass_through() -> None:
    restorer = RedactionMap().restorer()
    assert restorer.feed("⟦EMAIL_1") == "⟦EMAIL_1"


def test_stream_restorer_json_escapes_for_tool_arguments() -> None:
    redactions = RedactionMap()
    redactions.placeholder('say "hi"', "quote")
    deltas = ['{"q": "⟦QUO', 'TE_1⟧"}']
    assert loads("".join(_stream(redactions, deltas, json_escape=True))) == {"q": 'say "hi"'}


@given(
    st.lists(
        st.sampled_from(
            ["a", " ", "[", "]", OPEN, CLOSE, "E", "MAIL", "_", "1", "0", "⟦EMAIL_1⟧", "⟦PERSON_1⟧"]
        ),
        max_size=40,
    ),
    st.lists(st.integers(min_value=0, max_value=60), max_size=8),
)
def test_stream_restorer_equals_restoring_the_whole_text(pieces: list[str], cuts: list[int]) -> None:
    redactions = _known()
    text = "".join(pieces)
    points = sorted({min(c, len(text)) for c in cuts})
    deltas = [text[a:b] for a, b in itertools.pairwise([0, *points, len(text)])]
    assert "".join(_stream(redactions, deltas)) == redactions.restore(text)
