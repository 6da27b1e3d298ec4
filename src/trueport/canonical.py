"""Canonical JSON: one byte sequence per value, so that a hash of an event means one thing.

This follows the JSON Canonicalization Scheme (RFC 8785). orjson cannot be used here: it neither
sorts keys by UTF-16 code units nor formats numbers the ECMAScript way. What is implemented:

- **Objects**: members sorted by their names compared as UTF-16 code units (RFC 8785 §3.2.3), no
  whitespace anywhere, names must be strings. Duplicate names cannot occur (a ``dict`` has none).
- **Strings**: UTF-8, with only the escapes RFC 8785 §3.2.2.2 requires: ``\\"``, ``\\\\``, ``\\b``,
  ``\\t``, ``\\n``, ``\\f``, ``\\r``, and ``\\u00xx`` (lower-case hex) for the other controls below
  U+0020. Everything else, including non-ASCII and U+007F, is written as itself. Lone surrogates
  cannot be encoded and are refused.
- **Numbers**: the ECMAScript ``Number.prototype.toString`` form of the IEEE 754 double (§3.2.2.3):
  shortest round-trip digits (Python's ``repr`` finds them), plain notation for 1e-7 < |x| < 1e21,
  ``d.ddde+N`` / ``de-N`` otherwise, ``-0`` as ``0``. NaN and infinities are refused. A Python
  ``int`` is accepted when it is exactly a double (always within ±(2**53 - 1), where it prints as
  itself) and written as that double; others are refused rather than silently rounded (carry money
  and large counters as strings). To check a parsed document, ``is_canonical`` reads integers as
  the nearest double, as the RFC's I-JSON does, so that re-serialising a canonical document gives
  the same bytes whether the parser returned ``100000000000000000000`` as an int or a float.
- ``true``, ``false``, ``null``; lists and tuples as arrays. Any other type is refused.

A canonical document never contains a raw newline, so canonical documents can be stored one per line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

MAX_SAFE_INTEGER = 2**53 - 1

_ESCAPES: dict[int, str] = {code: f"\\u{code:04x}" for code in range(0x20)}
_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"})
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\"})
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


class CanonicalJSONError(ValueError):
    """The value has no canonical JSON form (unsupported type, NaN, huge integer, lone surrogate)."""


def canonical_json(value: object, *, exact_integers: bool = True) -> bytes:
    """The RFC 8785 serialisation of ``value`` as UTF-8 bytes.

    ``exact_integers=False`` reads every integer as the nearest double, as I-JSON does: for values a
    JSON parser produced (where ``63387409370786420`` is the double 6.338740937078642e16).
    """
    parts: list[str] = []
    _write(value, parts, exact_integers)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError("strings must not contain lone surrogates") from exc


def is_canonical(data: bytes, parsed: object) -> bool:
    """Whether ``data`` is exactly the canonical form of ``parsed``, the value a JSON parser read from it."""
    try:
        return canonical_json(parsed, exact_integers=False) == data
    except CanonicalJSONError:
        return False


def format_number(value: float) -> str:
    """ECMAScript ``Number::toString`` for a finite double."""
    if not math.isfinite(value):
        raise CanonicalJSONError("NaN and infinities have no JSON form")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    k, n = len(digits), point  # value = 0.<digits> * 10**n, i.e. digits * 10**(n - k)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        exponent = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    return sign + text


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest digit string that round-trips, and the decimal point's position before it."""
    text = repr(value)  # shortest round-trip, e.g. "123.456", "1e+21", "5e-324", "1.5e-07"
    mantissa, _, exponent_text = text.partition("e")
    exponent = int(exponent_text) if exponent_text else 0
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + exponent
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    return stripped.rstrip("0"), point


def _double(value: int, exact: bool) -> float:
    try:
        double = float(value)
    except OverflowError:
        raise CanonicalJSONError(f"integer {value} is beyond the range of a double") from None
    if exact and double != value:
        raise CanonicalJSONError(f"integer {value} is not exactly a double; send it as a string")
    return double


def _string(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return '"' + text + '"'
    return '"' + text.translate(_ESCAPES) + '"'


def _sort_key(pair: tuple[str, object]) -> bytes:
    return pair[0].encode("utf-16-be", "surrogatepass")


def _write(value: object, out: list[str], exact: bool) -> None:
    kind = type(value)
    if kind is str:
        out.append(_string(value))  # type: ignore[arg-type]
    elif kind is dict or (kind is not list and kind is not tuple and isinstance(value, Mapping)):
        items = list(value.items())  # type: ignore[attr-defined]
        for key, _ in items:
            if type(key) is not str:
                raise CanonicalJSONError(f"object member names must be strings, not {type(key).__name__}")
        if all(key.isascii() or max(key) <= "\uffff" for key, _ in items):
            items.sort()  # below U+10000, code points order as UTF-16 code units do (names are unique)
        else:
            items.sort(key=_sort_key)
        out.append("{")
        for position, (key, item) in enumerate(items):
            if position:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(item, out, exact)
        out.append("}")
    elif kind is list or kind is tuple:
        out.append("[")
        for position, item in enumerate(value):  # type: ignore[arg-type]
            if position:
                out.append(",")
            _write(item, out, exact)
        out.append("]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            out.append(str(int(value)))
        else:
            out.append(format_number(_double(int(value), exact)))
    elif isinstance(value, float):
        out.append(format_number(float(value)))
    elif isinstance(value, str):
        out.append(_string(str(value)))
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        _write(list(value), out, exact)
    else:
        raise CanonicalJSONError(f"{type(value).__name__} has no canonical JSON form")
