"""Structured PII by rule: every type found with exact offsets, checksum-invalid look-alikes and
context-less digit runs left alone (or under the default threshold)."""

from __future__ import annotations

import random

import pytest

from trueport.guard.pii import PiiDetector
from trueport.guard.pii_checksums import (
    card_issuer,
    iban_check_digits,
    iban_valid,
    luhn_check_digit,
    luhn_valid,
    ssn_valid,
)
from trueport.guard.pii_patterns import find_structured

THRESHOLD = PiiDetector.default_threshold


def found(text: str) -> set[tuple[str, str]]:
    """(type, matched text) of the structured matches at or above the default threshold."""
    return {(m.type, text[m.start : m.end]) for m in find_structured(text) if m.score >= THRESHOLD}


def types(text: str) -> set[str]:
    return {t for t, _ in found(text)}


# --- checksums --------------------------------------------------------------------------------


def test_luhn_and_issuers() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert luhn_check_digit("411111111111111") == "1"
    assert card_issuer("4111111111111111") == "visa"
    assert card_issuer("5500000000000004") == "mastercard"
    assert card_issuer("2223000048400011") == "mastercard"
    assert card_issuer("378282246310005") == "amex"
    assert card_issuer("6011111111111117") == "discover"
    assert card_issuer("3530111333300000") == "jcb"
    assert card_issuer("30569309025904") == "diners"
    assert card_issuer("1234567812345670") is None


def test_iban_mod97_and_lengths() -> None:
    assert iban_valid("DE89370400440532013000")
    assert iban_valid("GB82WEST12345698765432")
    assert not iban_valid("DE89370400440532013001")  # check digits off
    assert not iban_valid("DE8937040044053201300")  # wrong length for DE
    assert not iban_valid("XX89370400440532013000")  # unknown country
    assert iban_check_digits("DE", "370400440532013000") == "89"


@pytest.mark.parametrize(
    ("ssn", "valid"),
    [
        (("536", "22", "1234"), True),
        (("000", "22", "1234"), False),
        (("666", "22", "1234"), False),
        (("900", "22", "1234"), False),
        (("536", "00", "1234"), False),
        (("536", "22", "0000"), False),
        (("078", "05", "1120"), False),  # the Woolworth wallet card
    ],
)
def test_ssn_issuing_rules(ssn: tuple[str, str, str], valid: bool) -> None:
    assert ssn_valid(*ssn) is valid


# --- positives, with exact offsets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me at jane.doe+work@example.co.uk, thanks.", ("email", "jane.doe+work@example.co.uk")),
        ("card 4111 1111 1111 1111 exp 04/27", ("credit_card", "4111 1111 1111 1111")),
        ("card 4111-1111-1111-1111", ("credit_card", "4111-1111-1111-1111")),
        ("pay with 5500000000000004 now", ("credit_card", "5500000000000004")),
        ("amex 3782 822463 10005 please", ("credit_card", "3782 822463 10005")),
        ("jcb:3530111333300000.", ("credit_card", "3530111333300000")),
        ("old JCB 213112345678904", ("credit_card", "213112345678904")),
        ("IBAN DE89 3704 0044 0532 0130 00 is mine", ("iban", "DE89 3704 0044 0532 0130 00")),
        ("send to GB82WEST12345698765432.", ("iban", "GB82WEST12345698765432")),
        ("his SSN is 536-22-1234.", ("us_ssn", "536-22-1234")),
        ("SSN: 536 22 1234", ("us_ssn", "536 22 1234")),
        ("social security number 536221234", ("us_ssn", "536221234")),
        ("call me at (415) 555-0134 tonight", ("phone", "(415) 555-0134")),
        ("Phone: +44 20 7946 0958", ("phone", "+44 20 7946 0958")),
        ("mobile 06 12 34 56 78", ("phone", "06 12 34 56 78")),
        ("reach me on 415-555-0134 x204", ("phone", "415-555-0134 x204")),
        ("tel. +49 (0)30 1234567", ("phone", "+49 (0)30 1234567")),
        ("from 192.168.10.42 at noon", ("ip_address", "192.168.10.42")),
        ("host 2001:db8::8a2e:370:7334 is down", ("ip_address", "2001:db8::8a2e:370:7334")),
        ("listen on ::1 only", ("ip_address", "::1")),
        ("MAC 00:1A:2B:3C:4D:5E", ("mac_address", "00:1A:2B:3C:4D:5E")),
        ("mac 00-1a-2b-3c-4d-5e", ("mac_address", "00-1a-2b-3c-4d-5e")),
        ("She was born on 3/29/1982 in Lyon", ("date_of_birth", "3/29/1982")),
        ("DOB: 1990-12-01", ("date_of_birth", "1990-12-01")),
        ("date of birth March 4, 1975", ("date_of_birth", "March 4, 1975")),
        ("my passport number is C01X00T47", ("passport_number", "C01X00T47")),
        ("driver's license S530-460-99-424-0", ("us_driver_license", "S530-460-99-424-0")),
        ("DL# 12345678", ("us_driver_license", "12345678")),
    ],
)
def test_structured_positive_offsets_exact(text: str, expected: tuple[str, str]) -> None:
    assert expected in found(text)


def test_random_valid_numbers_are_all_found() -> None:
    rng = random.Random(3)
    for _ in range(200):
        body = "4" + "".join(rng.choice("0123456789") for _ in range(14))
        card = body + luhn_check_digit(body)
        assert ("credit_card", card) in found(f"card {card}")
        bban = "".join(rng.choice("0123456789") for _ in range(18))
        iban = "DE" + iban_check_digits("DE", bban) + bban
        assert ("iban", iban) in found(f"IBAN {iban}")


# --- negatives ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # Luhn fails
        "IBAN DE89 3704 0044 0532 0130 01",  # mod 97 fails
        "IBAN DE89 3704 0044 0532 0130",  # too short for Germany
        "SSN 666-22-1234",  # area 666 never issued
        "SSN 536-00-1234",  # group 00
        "SSN 900-22-1234",  # area 9xx
        "order 12345678 shipped",
        "invoice 2024-03-04 total 1234.56",
        "table: 12 34 56 78 99",
        "version 1.2.3.4 released",
        "numpy==1.26.4.1",
        "it happened at 12:30:45",
        "the ratio 3.14159265 is pi",
        "born in 1982",  # a year is not a date of birth
        "see page 4111 of the manual",
        "a5f3c2d1e0b9a8f7e6d5c4b3a2f1e0d9 is the md5",
        "std::vector<int> v;",
    ],
)
def test_lookalikes_are_not_findings(text: str) -> None:
    assert found(text) == set()


def test_digit_runs_without_context_stay_below_threshold() -> None:
    scores = [m.score for m in find_structured("reference 5551234567 and 030 1234567") if m.type == "phone"]
    assert scores and max(scores) < THRESHOLD


def test_iban_digits_are_not_phones_or_cards() -> None:
    assert types("wire to LT08 5713 6472 4123 8372 today") == set()  # an invalid IBAN, no card inside
    assert types("BG92 YSPT 9224 8060 4875 36") == set()


def test_context_decides_for_bare_ssn_and_phone() -> None:
    assert "us_ssn" not in types("the code is 536221234")
    assert "us_ssn" in types("SSN 536221234")
    assert "phone" not in types("ticket 020 7946 0958")
    assert "phone" in types("call 020 7946 0958")
