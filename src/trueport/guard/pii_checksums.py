"""Check digits and issuing rules of structured identifiers: card numbers, IBANs, US SSNs.

Pure functions on digit strings; ``pii_patterns`` calls them on regex candidates, the tests and the
training data generator call them to build valid and invalid examples.
"""

from __future__ import annotations

# ISO 13616 IBAN length per country (SWIFT IBAN registry, plus the common partial adopters).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

# Card issuers: (name, prefixes as inclusive ranges of the leading digits, valid lengths).
_ISSUERS: tuple[tuple[str, tuple[tuple[int, int], ...], frozenset[int]], ...] = (
    ("visa", ((4, 4),), frozenset({13, 16, 19})),
    ("mastercard", ((51, 55), (2221, 2720)), frozenset({16})),
    ("amex", ((34, 34), (37, 37)), frozenset({15})),
    ("discover", ((6011, 6011), (644, 649), (65, 65), (622126, 622925)), frozenset({16, 17, 18, 19})),
    ("diners", ((300, 305), (3095, 3095), (36, 36), (38, 39)), frozenset({14, 15, 16, 17, 18, 19})),
    ("jcb", ((3528, 3589),), frozenset({16, 17, 18, 19})),
    ("jcb", ((2131, 2131), (1800, 1800)), frozenset({15})),  # the old 15-digit JCB ranges
    ("unionpay", ((62, 62), (81, 81)), frozenset({16, 17, 18, 19})),
    ("maestro", ((50, 50), (56, 58), (60, 69)), frozenset(range(12, 20))),
    ("mir", ((2200, 2204),), frozenset({16, 17, 18, 19})),
    ("rupay", ((60, 60), (65, 65), (81, 82), (508, 508), (353, 353), (356, 356)), frozenset({16})),
)


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (only 0-9) passes the Luhn (mod 10) check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` Luhn-valid."""
    for digit in "0123456789":
        if luhn_valid(partial + digit):
            return digit
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")


def card_issuer(digits: str) -> str | None:
    """The issuer whose prefix and length match ``digits``, or None."""
    for name, ranges, lengths in _ISSUERS:
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            width = len(str(low))
            if len(digits) >= width and low <= int(digits[:width]) <= high:
                return name
    return None


def iban_valid(compact: str) -> bool:
    """True for an IBAN without separators, upper case, of its country's length and mod-97 == 1."""
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits of the IBAN for ``country`` and ``bban``."""
    number = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{98 - int(number) % 97:02d}"


# Numbers the SSA never issued or that were published (advertising, documentation).
_SSN_BLOCKLIST = frozenset({"078051120", "219099999", "123456789", "111111111", "333333333"})


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN issuing rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    if area in {"000", "666"} or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_BLOCKLIST
