# ruff: noqa: S311 -- seeded pseudo-random data generation, not cryptography
"""Values for the PII templates: names, streets and addresses of a split, and structured identifiers.

``load_pools(split, seed)`` gives the given names, surnames, streets and identities of the training
or the held-out split (a value is held out when ``crc32(value) % 5 == 0``); the generators draw from
a pool (names, addresses, phone numbers, e-mail addresses) or from a seeded ``random.Random``
(checksum-valid or -invalid card numbers, IBANs and SSNs, IP and MAC addresses, dates, passport and
driver's licence numbers). ``render.py`` puts them into templates.
"""

from __future__ import annotations

import csv
import random
import re
import string
import sys
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from trueport.guard.pii_checksums import IBAN_LENGTHS, iban_check_digits, luhn_check_digit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lexicon

GENERATOR = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "pii" / "generator"
INJECTION = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "injection"
EVAL_MODULUS = 5

Part = tuple[str, str | None]  # (text, label) -- label None: not an entity


def held_out(value: str) -> bool:
    return zlib.crc32(value.strip().lower().encode()) % EVAL_MODULUS == 0


def _in_split(value: str, split: str) -> bool:
    return held_out(value) == (split == "eval")


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


def lower_keep_length(text: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def upper_keep_length(text: str) -> str:
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


@dataclass
class Identity:
    given: str
    middle: str
    surname: str
    street: str
    city: str
    state: str
    zipcode: str
    country: str
    phone: str
    phone_cc: str
    domain: str
    occupation: str
    company: str


@dataclass
class Pools:
    """Values of one split."""

    split: str
    rng: random.Random
    given: list[str] = field(default_factory=list)
    surnames: list[str] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)  # street in split
    all_identities: list[Identity] = field(default_factory=list)
    street_bases: list[str] = field(default_factory=list)
    intl_styles: list[tuple[str, list[str]]] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    nationalities: list[list[str]] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (GENERATOR / name).open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def load_pools(split: str, seed: int) -> Pools:
    rng = random.Random(seed)
    pools = Pools(split, rng)
    rows = _csv_rows("FakeNameGenerator.com_3000.csv")
    given = {r["GivenName"] for r in rows} | set(lexicon.GIVEN_NAMES.split())
    surnames = {r["Surname"] for r in rows} | set(lexicon.SURNAMES.split())
    pools.given = sorted(g for g in given if g and _in_split(g, split))
    pools.surnames = sorted(s for s in surnames if s and _in_split(s, split))
    for r in rows:
        if "[" in r["City"] or "|" in r["City"]:
            continue
        identity = Identity(
            r["GivenName"], r["MiddleInitial"], r["Surname"], r["StreetAddress"], r["City"], r["State"],
            r["ZipCode"], r["CountryFull"], r["TelephoneNumber"], r["TelephoneCountryCode"], r["Domain"],
            r["Occupation"], r["Company"],
        )  # fmt: skip
        pools.all_identities.append(identity)
        if _in_split(r["StreetAddress"], split):
            pools.identities.append(identity)
    pools.street_bases = [b for b in lexicon.STREET_BASES_EN.split() if _in_split(b, split)]
    for pattern, bases in lexicon.STREET_STYLES_INTL:
        names = bases.split("|") if "|" in bases else bases.split()
        kept = [b for b in names if _in_split(b, split)]
        if kept:
            pools.intl_styles.append((pattern, kept))
    pools.organizations = [r["organization"] for r in _csv_rows("companies_and_organizations.csv")]
    pools.nationalities = [list(r.values()) for r in _csv_rows("nationalities.csv")]
    with (GENERATOR / "us_driver_licenses.csv").open(encoding="utf-8") as f:
        pools.licenses = [x.strip() for x in f.readlines()[1:] if x.strip() and _in_split(x, split)]
    return pools


# --- value generators -----------------------------------------------------------------------------


def person_name(p: Pools, *, gender_title: str | None = None) -> list[Part]:
    rng = p.rng
    g, s = rng.choice(p.given), rng.choice(p.surnames)
    if p.split == "train" and rng.random() < 0.1:  # training only (keeps the held-out set as it was):
        return [(g, "person")]  # a name slot holding only a given name ("tell Avi the meeting moved")
    roll = rng.random()
    if roll < 0.55:
        name = f"{g} {s}"
    elif roll < 0.63:
        name = f"{g} {rng.choice(string.ascii_uppercase)}. {s}"
    elif roll < 0.70:
        name = f"{g} {rng.choice(p.given)} {s}"
    elif roll < 0.76:
        name = f"{g} {s}-{rng.choice(p.surnames)}"
    elif roll < 0.82:
        name = f"{s} {g}"  # family name first (East Asian, Hungarian order)
    elif roll < 0.86:
        name = f"{s}, {g}"
    elif roll < 0.90:
        name = f"{g} {rng.choice(['van', 'de', 'van der', 'da', 'di', 'von', 'bin', 'al', 'del', 'dos'])} {s}"
    elif roll < 0.94:
        name = f"{g} {s} {rng.choice(p.surnames)}"  # two surnames
    else:
        name = f"{g} {s}"
    parts: list[Part] = []
    if rng.random() < 0.06:
        titles = lexicon.TITLES_MALE + lexicon.TITLES_FEMALE
        parts.append((rng.choice(titles) + " ", None))
    parts.append((name, "person"))
    if rng.random() < 0.03:
        parts.append((rng.choice([" Jr.", " Sr.", " III", ", PhD", ", MD"]), None))
    return parts


def _number(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        n = str(rng.randint(1, 99))
    elif roll < 0.8:
        n = str(rng.randint(100, 9999))
    else:
        n = str(rng.randint(10000, 99999))
    if rng.random() < 0.08:
        n += rng.choice("ABCDab")
    return n


def street_line(p: Pools) -> str:
    rng = p.rng
    roll = rng.random()
    if roll < 0.42 and p.identities:
        return rng.choice(p.identities).street
    if roll < 0.78:
        base = rng.choice(p.street_bases)
        if rng.random() < 0.25:
            base = f"{base} {rng.choice(p.street_bases)}" if rng.random() < 0.3 else base
        direction = rng.choice(lexicon.STREET_DIRECTIONS) + " " if rng.random() < 0.15 else ""
        return f"{_number(rng)} {direction}{base} {rng.choice(lexicon.STREET_TYPES_EN)}"
    pattern, bases = rng.choice(p.intl_styles)
    return pattern.format(n=_number(rng), b=rng.choice(bases))


def street_name_only(p: Pools) -> str:
    rng = p.rng
    roll = rng.random()
    if roll < 0.6:
        return f"{rng.choice(p.street_bases)} {rng.choice(lexicon.STREET_TYPES_EN)}"
    if roll < 0.8:
        pattern, bases = rng.choice(p.intl_styles)
        return re.sub(r"\s*,?\s*\{n\}\s*,?\s*", " ", pattern).strip().format(b=rng.choice(bases))
    street = rng.choice(p.identities).street if p.identities else "Main Street"
    stripped = re.sub(r"\b\d+\w?\b", "", street).strip(" ,.")
    return stripped or "Main Street"


def secondary(rng: random.Random) -> str:
    return rng.choice(lexicon.SECONDARY).format(n=rng.randint(1, 450), l=rng.choice("ABCDEF"))


def street_address(p: Pools) -> str:
    line = street_line(p)
    if p.rng.random() < 0.2:
        line += p.rng.choice([", ", " ", " "]) + secondary(p.rng)
    return line


def full_address(p: Pools) -> str:
    rng = p.rng
    who = rng.choice(p.all_identities)
    street = street_address(p)
    state_zip = f"{who.state} {who.zipcode}".strip()
    formats = [
        f"{street}, {who.city}, {state_zip}",
        f"{street}\n{who.city}, {state_zip}",
        f"{street}, {who.zipcode} {who.city}",
        f"{street}, {who.city} {who.zipcode}, {who.country}",
        f"{street}, {who.city}",
        f"{street}\n{who.zipcode} {who.city}\n{who.country}",
        f"{street}, {who.city}, {who.country}",
        street,
        f"{street} {who.city} {state_zip}",
    ]
    weights = [20, 10, 14, 10, 14, 6, 8, 10, 8]
    return rng.choices(formats, weights)[0]


def phone_number(p: Pools) -> str:
    rng = p.rng

    def d(k: int) -> str:
        return "".join(rng.choice(string.digits) for _ in range(k))

    area, exchange = str(rng.randint(201, 989)), str(rng.randint(200, 999))
    us = [
        f"({area}) {exchange}-{d(4)}", f"{area}-{exchange}-{d(4)}", f"{area}.{exchange}.{d(4)}",
        f"+1 {area} {exchange} {d(4)}", f"+1-{area}-{exchange}-{d(4)}", f"1-800-{exchange}-{d(4)}",
        f"{area} {exchange} {d(4)}", f"({area}){exchange}-{d(4)}", f"{area}-{exchange}-{d(4)} x{d(3)}",
        f"001-{area}-{exchange}-{d(4)}", f"+1 ({area}) {exchange}-{d(4)}", f"{area}{exchange}{d(4)}",
    ]  # fmt: skip
    intl = [
        f"+44 20 {d(4)} {d(4)}", f"020 {d(4)} {d(4)}", f"07{d(3)} {d(6)}", f"+44 7{d(3)} {d(6)}",
        f"+49 30 {d(8)}", f"030 {d(8)}", f"0151 {d(8)}", f"+49 (0)30 {d(7)}", f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}",
        f"06 {d(2)} {d(2)} {d(2)} {d(2)}", f"06.{d(2)}.{d(2)}.{d(2)}.{d(2)}", f"+91 9{d(4)} {d(5)}",
        f"+81 3-{d(4)}-{d(4)}", f"+86 138 {d(4)} {d(4)}", f"+55 11 9{d(4)}-{d(4)}", f"+61 2 {d(4)} {d(4)}",
        f"+34 6{d(2)} {d(3)} {d(3)}", f"+39 3{d(2)} {d(3)} {d(4)}", f"+31 6 {d(8)}", f"+27 82 {d(3)} {d(4)}",
        f"+234 80{d(1)} {d(3)} {d(4)}", f"+971 50 {d(3)} {d(4)}", f"+7 9{d(2)} {d(3)}-{d(2)}-{d(2)}",
    ]  # fmt: skip
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(us)
    if roll < 0.8:
        return rng.choice(intl)
    who = rng.choice(p.all_identities)
    if sum(c.isdigit() for c in who.phone) < 7:
        return rng.choice(us)
    if rng.random() < 0.5:
        return f"+{who.phone_cc} {who.phone.lstrip('0')}"
    return who.phone


def email(p: Pools) -> str:
    rng = p.rng
    g = _ascii(rng.choice(p.given)).lower().replace(" ", "").replace("'", "") or "info"
    s = _ascii(rng.choice(p.surnames)).lower().replace(" ", "").replace("'", "") or "mail"
    local = rng.choice(
        [f"{g}.{s}", f"{g}{s}", f"{g[0]}{s}", f"{g}_{s}", f"{g}{rng.randint(1, 99)}", f"{s}.{g}"]
    )
    domains = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.co.uk", "proton.me", "icloud.com", "gmx.de",
               "web.de", "orange.fr", "mail.ru", "qq.com", "example.org", "company.com", "uni-hamburg.de"]  # fmt: skip
    domain = rng.choice(domains) if rng.random() < 0.7 else rng.choice(p.all_identities).domain.lower()
    return f"{local}@{domain}"


_CARD_PREFIXES = [("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16), ("34", 15),
                  ("37", 15), ("6011", 16), ("65", 16), ("36", 14), ("3530", 16), ("62", 16), ("62", 19),
                  ("6759", 16), ("5018", 16)]  # fmt: skip


def card_number(rng: random.Random, *, valid: bool = True) -> str:
    prefix, length = rng.choice(_CARD_PREFIXES)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    check = luhn_check_digit(body)
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    digits = body + check
    roll = rng.random()
    if length == 15 and roll < 0.6:
        sep = rng.choice([" ", "-"])
        return f"{digits[:4]}{sep}{digits[4:10]}{sep}{digits[10:]}"
    if length == 16 and roll < 0.6:
        sep = " " if roll < 0.4 else "-"
        return sep.join(digits[i : i + 4] for i in range(0, 16, 4))
    return digits


_IBAN_COUNTRIES = ["DE", "GB", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "PL", "SE", "DK", "NO", "FI", "IE",
                   "PT", "CZ", "HU", "RO", "GR", "TR", "SA", "AE", "BR", "LU", "HR", "SI", "SK", "BG", "LT"]  # fmt: skip
_IBAN_LETTERS = {"GB": 4, "NL": 4, "IE": 4, "BG": 4, "RO": 4, "AE": 0, "CH": 0, "PT": 0}


def iban(rng: random.Random, *, valid: bool = True) -> str:
    country = rng.choice(_IBAN_COUNTRIES)
    length = IBAN_LENGTHS[country] - 4
    letters = _IBAN_LETTERS.get(country, 0)
    bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(letters))
    bban += "".join(rng.choice(string.digits) for _ in range(length - letters))
    check = iban_check_digits(country, bban)
    if not valid:
        check = f"{(int(check) + rng.randint(1, 50)) % 97 + 2:02d}"
    compact = country + check + bban
    if rng.random() < 0.5:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def ssn(rng: random.Random, *, valid: bool = True) -> str:
    area = rng.randint(1, 899)
    while area == 666:
        area = rng.randint(1, 899)
    group, serial = rng.randint(1, 99), rng.randint(1, 9999)
    if not valid:
        choice = rng.randint(0, 3)
        area = [0, 666, rng.randint(900, 999), area][choice]
        if choice == 3:
            group = 0
    a, g, s = f"{area:03d}", f"{group:02d}", f"{serial:04d}"
    roll = rng.random()
    if roll < 0.75:
        return f"{a}-{g}-{s}"
    if roll < 0.87:
        return f"{a} {g} {s}"
    return a + g + s


def ip_address(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return ".".join(
            str(x)
            for x in [rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)]
        )
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return "2001:db8::" + ":".join(groups[:3]) if rng.random() < 0.5 else "fe80::" + ":".join(groups[:4])
    return ":".join(groups)


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip


def date_of_birth(rng: random.Random) -> str:
    y, m, d = rng.randint(1930, 2012), rng.randint(1, 12), rng.randint(1, 28)
    month = _MONTHS[m - 1]
    return rng.choice([
        f"{m}/{d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{month} {d}, {y}",
        f"{d} {month} {y}", f"{month[:3]} {d} {y}", f"{d}/{m}/{y}", f"{d} {month[:3]} {y}",
    ])  # fmt: skip


def passport(rng: random.Random) -> str:
    def d(k: int) -> str:
        return "".join(rng.choice(string.digits) for _ in range(k))

    up = string.ascii_uppercase
    return rng.choice([d(9), rng.choice(up) + d(8), rng.choice(up) + rng.choice(up) + d(7),
                       rng.choice("CFGHJK") + d(2) + rng.choice(up) + d(2) + rng.choice(up) + d(2)])  # fmt: skip


def driver_license(p: Pools) -> str:
    rng = p.rng
    if p.licenses and rng.random() < 0.5:
        return rng.choice(p.licenses)
    fmt = rng.choice(["#######", "########", "#########", "?#######", "?########", "?###-###-##-###-#",
                      "####-##-####", "??######", "?############", "#########?"])  # fmt: skip
    return "".join(rng.choice(string.digits) if c == "#" else rng.choice(string.ascii_uppercase) if c == "?" else c
                   for c in fmt)  # fmt: skip


def mac_address(rng: random.Random) -> str:
    octets = [f"{rng.randint(0, 255):02x}" for _ in range(6)]
    text = rng.choice([":", "-"]).join(octets)
    return text.upper() if rng.random() < 0.5 else text
