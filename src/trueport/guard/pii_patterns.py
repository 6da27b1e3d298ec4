"""Structured PII: regular expressions, validators and context words.

Each recogniser yields ``Match(type, start, end, score)``; ``text[start:end]`` is the entity itself,
without the surrounding separators or context words. Scores follow one scale:

- 0.95-1.0: the value proves itself (Luhn and an issuer prefix, IBAN mod 97 and country length, an
  e-mail address, a valid IP address, an SSN with the issuing rules and its usual dashes);
- 0.7-0.9: a pattern that is specific only next to a context word ("passport", "born", "phone"...);
- below 0.5: the same patterns without their context word. They are returned for strict policies
  but stay under ``PiiDetector.default_threshold``, so an arbitrary digit run is not a violation.

A context word counts when it appears in the 48 characters before the value (or, for phone
numbers, the 24 after it: "555 0134 (mobile)").
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from trueport.guard.pii_checksums import IBAN_LENGTHS, card_issuer, iban_valid, luhn_valid, ssn_valid


@dataclass(frozen=True, slots=True)
class Match:
    type: str
    start: int
    end: int
    score: float


_BEFORE = 48
_AFTER = 24


def _context(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)")


def _has_context(lower: str, start: int, end: int, words: re.Pattern[str], *, after: bool = False) -> bool:
    if words.search(lower, max(0, start - _BEFORE), start):
        return True
    return after and words.search(lower, end, end + _AFTER) is not None


# --- e-mail -------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])"
)


def find_emails(text: str, lower: str) -> Iterator[Match]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        if ".." not in m.group():
            yield Match("email", m.start(), m.end(), 0.98)


# --- payment cards ------------------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\w.,-])(?:"
    r"\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?"  # 4-4-4-4(-3)
    r"|\d{4}([ -])\d{6}\2\d{4,5}"  # Amex 4-6-5, Diners 4-6-4
    r"|\d{13,19}"  # unformatted
    r")(?![\w-]|[.,]\d)"
)
_CARD_WORDS = _context(
    r"card|cc|credit|debit|visa|mastercard|master card|amex|american express|discover|maestro|pan|"
    r"card number|card no|carte|karte|tarjeta|carta|payment|pay with|charge"
)


def find_cards(text: str, lower: str) -> Iterator[Match]:
    for m in _CARD.finditer(text):
        digits = m.group().replace(" ", "").replace("-", "")
        if not luhn_valid(digits) or len(set(digits)) < 2 or _inside_account_number(text, m.start()):
            continue
        if card_issuer(digits) is not None:
            score = 1.0
        else:
            score = 0.8 if _has_context(lower, m.start(), m.end(), _CARD_WORDS) else 0.4
        yield Match("credit_card", m.start(), m.end(), score)


# --- IBAN ---------------------------------------------------------------------------------------

_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?=[ -]?[A-Za-z0-9])")


def find_ibans(text: str, lower: str) -> Iterator[Match]:
    for m in _IBAN_START.finditer(text):
        country = m.group()[:2].upper()
        length = IBAN_LENGTHS.get(country)
        if length is None:
            continue
        chars = [country, m.group()[2:4]]
        count = 4
        position = m.end()
        size = len(text)
        while count < length and position < size:
            char = text[position]
            if char.isascii() and char.isalnum():
                chars.append(char.upper())
                count += 1
                position += 1
            elif char in " -" and position + 1 < size and text[position - 1] not in " -":
                position += 1
            else:
                break
        if count != length or (position < size and text[position].isalnum()):
            continue
        if iban_valid("".join(chars)):
            yield Match("iban", m.start(), position, 1.0)


# --- US social security numbers ------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])")
_SSN_WORDS = _context(r"ssn|ss#|ssn#|social security|social sec|soc sec|social|sin|ssa|tin|taxpayer")


def find_ssns(text: str, lower: str) -> Iterator[Match]:
    for m in _SSN.finditer(text):
        area, separator, group, serial = m.groups()
        if not ssn_valid(area, group, serial) or len(set(area + group + serial)) < 3:
            continue
        context = _has_context(lower, m.start(), m.end(), _SSN_WORDS)
        if separator == "-":
            score = 1.0 if context else 0.9
        elif separator == " ":
            score = 0.95 if context else 0.45
        else:
            score = 0.9 if context else 0.3
        yield Match("us_ssn", m.start(), m.end(), score)


def _inside_account_number(text: str, start: int) -> bool:
    return start > 0 and _ACCOUNT_PREFIX.search(text, max(0, start - 40), start) is not None


# --- phone numbers ------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+/.,:-])(?:\+|\(\+?)?\d[\d ().\-/]{5,22}\d"
    r"(?:[ ]?(?:x|ext\.?|extension|#)[ ]?\d{1,6})?(?![\w/:]|[.,-]\d)"
)
_NANP = re.compile(r"(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[.-])\d{3}[.-]\d{4}")
_NANP_SPACED = re.compile(r"(?:\+?1 )?\d{3} \d{3} \d{4}")
_DATE_LIKE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3}"
)
_SSN_SHAPE = re.compile(r"\d{3}([- ])\d{2}\1\d{4}")
# An IBAN-like run (country letters, check digits, groups): digits inside it are not a phone or card.
_ACCOUNT_PREFIX = re.compile(r"[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4})*[ ]?$")
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|extension|#)[ ]?\d{1,6}$")
_PHONE_WORDS = _context(
    r"phone|phones|telephone|tel|tele|mobile|mob|cell|cellphone|call|called|calling|ring|dial|fax|"
    r"contact|reach|reached|text|sms|whatsapp|viber|signal|number|no\.|nr|hotline|helpline|office|"
    r"desk|home|work|landline|extension|ext|handy|telefon|telefono|teléfono|téléphone|móvil|portable|"
    r"numero|número|numéro|nummer"
)


def find_phones(text: str, lower: str) -> Iterator[Match]:
    for m in _PHONE.finditer(text):
        candidate = m.group()
        body = _EXTENSION.sub("", candidate)
        if body.count("(") != body.count(")") or _DATE_LIKE.fullmatch(body) or _SSN_SHAPE.fullmatch(body):
            continue
        digits = re.sub(r"\D", "", body)
        international = body.startswith(("+", "(+")) or (body.startswith("00") and body[2:3] not in "0")
        # E.164 allows 15 digits with the country code; a national number has at most 12.
        if not 7 <= len(digits) <= (15 if international else 12) or len(set(digits)) < 3:
            continue
        groups = [g for g in re.split(r"\D+", body) if g]
        if sum(1 for g in groups if len(g) == 1) > 1 or _inside_account_number(text, m.start()):
            continue
        if len(digits) == 9 and _SSN_WORDS.search(lower, max(0, m.start() - _BEFORE), m.start()):
            continue  # an SSN-shaped number after "SSN" (valid or not) is not a phone number
        if international and len(digits) >= 8:
            base = 0.75
        elif _NANP.fullmatch(body):
            base = 0.65
        elif _NANP_SPACED.fullmatch(body) or len(groups) >= 3:
            base = 0.4
        else:
            base = 0.35
        if _has_context(lower, m.start(), m.end(), _PHONE_WORDS, after=True):
            base = min(0.95, base + 0.35)
        yield Match("phone", m.start(), m.end(), base)


# --- IP addresses -------------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:.])"
)
_VERSION_WORDS = re.compile(r"(?:\bv|\bversion\s*|\bver\.?\s*|\brelease\s*|@|==|>=|<=|~=|\^)$")


def find_ips(text: str, lower: str) -> Iterator[Match]:
    if "." in text:
        for m in _IPV4.finditer(text):
            if _VERSION_WORDS.search(lower, max(0, m.start() - 10), m.start()):
                continue
            yield Match("ip_address", m.start(), m.end(), 0.95)
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6.finditer(text):
            candidate = m.group()
            groups = [g for g in re.split(r":+", candidate) if g]
            if len(groups) < 3 and not (candidate.startswith("::") and groups):
                continue
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            yield Match("ip_address", m.start(), m.end(), 0.95)


# --- MAC addresses ------------------------------------------------------------------------------

_MAC = re.compile(r"(?<![\w:.-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:-]|\.\w)")
_MAC_DOTTED = re.compile(r"(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])")


def find_macs(text: str, lower: str) -> Iterator[Match]:
    if text.count(":") >= 5 or text.count("-") >= 5:
        for m in _MAC.finditer(text):
            if len(set(m.group().replace(m.group(1), ""))) > 1:
                yield Match("mac_address", m.start(), m.end(), 0.9)
    if text.count(".") < 2:
        return
    for m in _MAC_DOTTED.finditer(text):
        score = 0.85 if re.search(r"[A-Fa-f]", m.group()) else 0.45
        yield Match("mac_address", m.start(), m.end(), score)


# --- dates of birth (context only) --------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(
    r"(?<![\w/.-])(?:"
    r"(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"
    r"|(?P<iy>\d{4})[/.-](?P<im>\d{1,2})[/.-](?P<id>\d{1,2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r")(?![\w/-]|\.\d)",
    re.IGNORECASE,
)
_DOB_WORDS = _context(
    r"born|birth|birthdate|birthday|dob|d\.o\.b|b-day|bday|date of birth|geboren|geburtsdatum|"
    r"né|née|nacido|nacida|nato|nata|fecha de nacimiento|date de naissance"
)


def find_dates_of_birth(text: str, lower: str) -> Iterator[Match]:
    if _DOB_WORDS.search(lower) is None:
        return
    for m in _DATE.finditer(text):
        if not _DOB_WORDS.search(lower, max(0, m.start() - _BEFORE), m.start()):
            continue
        if m.group("a"):
            first, second = int(m.group("a")), int(m.group("b"))
            if not (1 <= first <= 31 and 1 <= second <= 31 and min(first, second) <= 12):
                continue
        elif m.group("iy"):
            year, month, day = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
            if not (1880 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
                continue
        yield Match("date_of_birth", m.start(), m.end(), 0.85)


# --- documents with a context word: passports, US driver licences --------------------------------

_DOC_ID = re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)[A-Z0-9](?:[A-Z0-9-]{3,17})[A-Z0-9](?![\w-])")
_PASSPORT_WORDS = _context(
    r"passport|passports|passport no|passport number|passport#|reisepass|passeport|pasaporte|passaporto|paspoort"
)
_LICENSE_WORDS = _context(
    r"driver'?s?'? licen[cs]e|drivers licen[cs]e|driving licen[cs]e|driver licen[cs]e|licen[cs]e number|"
    r"licen[cs]e no|licen[cs]e #|licen[cs]e#|dl|dl#|dl no|d/l|driver'?s? id|führerschein|permis de conduire"
)


def find_documents(text: str, lower: str) -> Iterator[Match]:
    passport = _PASSPORT_WORDS.search(lower) is not None
    license_ = _LICENSE_WORDS.search(lower) is not None
    if not (passport or license_):
        return
    for m in _DOC_ID.finditer(text):
        value = m.group()
        digits = sum(c.isdigit() for c in value)
        before = max(0, m.start() - _BEFORE)
        if (
            passport
            and digits >= 4
            and "-" not in value
            and 6 <= len(value) <= 9
            and _PASSPORT_WORDS.search(lower, before, m.start())
        ):
            yield Match("passport_number", m.start(), m.end(), 0.8)
        elif license_ and digits >= 3 and len(value) >= 5 and _LICENSE_WORDS.search(lower, before, m.start()):
            yield Match("us_driver_license", m.start(), m.end(), 0.8)


Recogniser = Callable[[str, str], Iterator[Match]]

RECOGNISERS: tuple[Recogniser, ...] = (
    find_emails,
    find_cards,
    find_ibans,
    find_ssns,
    find_phones,
    find_ips,
    find_macs,
    find_dates_of_birth,
    find_documents,
)

STRUCTURED_TYPES = (
    "email",
    "credit_card",
    "iban",
    "us_ssn",
    "phone",
    "ip_address",
    "mac_address",
    "date_of_birth",
    "passport_number",
    "us_driver_license",
)


def find_structured(text: str) -> list[Match]:
    """Every structured candidate in ``text``, overlapping ones included (the caller resolves)."""
    lower = text.lower()
    if len(lower) != len(text):  # a few characters change length when lowered; keep offsets exact
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    matches: list[Match] = []
    for recognise in RECOGNISERS:
        matches.extend(recognise(text, lower))
    return matches
