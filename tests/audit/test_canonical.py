"""Canonical JSON against RFC 8785's own examples, and its invariants over generated values."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trueport.audit.canonical import CanonicalJSONError, canonical_json, format_number, is_canonical

# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), NUMBERS)
def test_numbers_are_written_the_ecmascript_way(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert format_number(value) == expected
    assert canonical_json(value) == expected.encode()


def test_the_rfc_example_document() -> None:
    # RFC 8785 §3.2.2 (the input as a JavaScript engine would parse it).
    document = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(document) == expected.encode()


def test_members_are_sorted_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: U+1F600 (D83D DE00 in UTF-16) sorts before U+FB33, unlike in code point order.
    document = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = [key for key in json.loads(canonical_json(document))]
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_only_the_required_escapes() -> None:
    assert (
        canonical_json('\b\t\n\f\r\x00\x1f\x7f"\\/é')
        == b'"\\b\\t\\n\\f\\r\\u0000\\u001f\x7f\\"\\\\/\xc3\xa9"'
    )


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        2**53 + 1,
        -(2**53) - 1,
        10**400,
        "\ud800",
        {1: "x"},
        b"bytes",
        {"set"},
        object(),
    ],
)
def test_values_without_a_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=("Cs",)), max_size=6), children, max_size=4
        )
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_is_json_of_the_same_value_and_a_fixed_point(value: object) -> None:
    data = canonical_json(value)
    assert b"\n" not in data and b" " not in data.replace(b'" "', b"").split(b'"')[0]
    parsed = json.loads(data)
    assert is_canonical(data, parsed)  # parsing and re-serialising changes nothing
    assert _same(parsed, value)


def _same(parsed: object, value: object) -> bool:
    if isinstance(value, float) and isinstance(parsed, int):
        return float(parsed) == value
    if isinstance(value, dict) and isinstance(parsed, dict):
        return parsed.keys() == value.keys() and all(_same(parsed[key], value[key]) for key in value)
    if isinstance(value, list) and isinstance(parsed, list):
        return len(value) == len(parsed) and all(_same(a, b) for a, b in zip(parsed, value, strict=True))
    return parsed == value


def test_integers_beyond_2_53_are_written_as_the_double_they_equal() -> None:
    assert canonical_json(2**53) == b"9007199254740992"
    assert canonical_json(10**21) == b"1e+21"
    assert is_canonical(b"100000000000000000000", json.loads(b"100000000000000000000"))
    assert is_canonical(b"63387409370786420", 63387409370786420)
    assert not is_canonical(b"63387409370786416", 63387409370786416)  # the same double, not its form
    with pytest.raises(CanonicalJSONError):
        canonical_json(63387409370786420)  # a producer's integer must be exact
