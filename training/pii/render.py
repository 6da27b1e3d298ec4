# ruff: noqa: S311 -- seeded pseudo-random data generation, not cryptography
"""Render labelled PII sentences from presidio-research's generator inputs and ``lexicon.py``.

``render(split, seed)`` returns examples ``{"text", "spans": [[start, end, type], ...], "source"}``
where ``type`` is one of the detector's types (``person``, ``street_address``, ``email``, ...).

Held-out split ("eval") versus training split ("train"), disjoint on three axes:

- templates: presidio's and the project's templates are shuffled with a fixed seed, a quarter goes
  to eval; the same for the negative sentences and the benign prompts;
- names: a given name or surname is eval-only when ``crc32(name) % 5 == 0``;
- streets: a street line (generator identities) or street base name (``lexicon.py``) likewise.

Labelling conventions (the detector's): ``person`` is the name without its title ("Mr."), a
``street_address`` is the whole postal address (street line, unit, then city, state, postcode and
country when they directly follow it); a city or country alone is not PII. Organisations, jobs,
URLs, ages, nationalities are unlabelled (outside the detector's types).
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lexicon.py and values.py, as a script or a package
import lexicon
from values import (
    GENERATOR,
    INJECTION,
    Part,
    Pools,
    _csv_rows,
    _number,
    card_number,
    date_of_birth,
    driver_license,
    email,
    full_address,
    iban,
    ip_address,
    load_pools,
    lower_keep_length,
    mac_address,
    passport,
    person_name,
    phone_number,
    secondary,
    ssn,
    street_address,
    street_name_only,
    upper_keep_length,
)  # fmt: skip

__all__ = ["Example", "load_pools", "render"]

# --- templates ------------------------------------------------------------------------------------

_SLOT = re.compile(r"\{\{(\w+)\}\}")


def _slot_parts(slot: str, p: Pools) -> list[Part]:
    rng = p.rng
    if slot in {"person", "name", "name_male", "name_female"}:
        return person_name(p)
    if slot.startswith("first_name"):
        return [(rng.choice(p.given), "person")]
    if slot.startswith("last_name"):
        return [(rng.choice(p.surnames), "person")]
    if slot.startswith("prefix"):
        titles = lexicon.TITLES_FEMALE if "female" in slot else lexicon.TITLES_MALE
        return [(rng.choice(titles), None)]
    if slot == "address":
        return [(full_address(p), "street")]
    if slot == "street_address":
        return [(street_address(p), "street")]
    if slot == "street_name":
        return [(street_name_only(p), "street")]
    if slot == "building_number":
        return [(_number(rng), "street")]
    if slot == "secondary_address":
        return [(secondary(rng), "street")]
    who = rng.choice(p.all_identities)
    simple: dict[str, Callable[[], Part]] = {
        "city": lambda: (who.city, "addr_part"),
        "country": lambda: (who.country, "addr_part"),
        "state_abbr": lambda: (who.state or "CA", "addr_part"),
        "zipcode": lambda: (f"{rng.randint(501, 99950):05d}", "addr_part"),
        "postcode": lambda: (who.zipcode, "addr_part"),
        "phone_number": lambda: (phone_number(p), "phone"),
        "email": lambda: (email(p), "email"),
        "credit_card_number": lambda: (card_number(rng), "credit_card"),
        "iban": lambda: (iban(rng), "iban"),
        "ssn": lambda: (ssn(rng), "us_ssn"),
        "ip_address": lambda: (ip_address(rng), "ip_address"),
        "us_driver_license": lambda: (driver_license(p), "us_driver_license"),
        "date_of_birth": lambda: (date_of_birth(rng), "date_of_birth"),
        "passport": lambda: (passport(rng), "passport_number"),
        "mac_address": lambda: (mac_address(rng), "mac_address"),
        "organization": lambda: (rng.choice(p.organizations), None),
        "job": lambda: (who.occupation, None),
        "url": lambda: (f"https://www.{who.domain.lower()}/{rng.choice(['', 'about', 'p/2931', 'files'])}", None),
        "age": lambda: (str(rng.randint(18, 95)), None),
        "year": lambda: (str(rng.randint(1950, 2024)), None),
        "day_of_week": lambda: (rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]), None),
        "date_time": lambda: (rng.choice(["March 29, 2019", "2021-06-04 10:15", "4th of July 2020", "12/05/2018 17:30"]), None),
        "nationality": lambda: (rng.choice(p.nationalities)[1].title(), None),
        "nation_woman": lambda: (rng.choice(p.nationalities)[3].title(), None),
        "nation_plural": lambda: (rng.choice(p.nationalities)[4].title(), None),
    }  # fmt: skip
    if slot in simple:
        return [simple[slot]()]
    return [(slot.replace("_", " "), None)]


@dataclass
class Example:
    text: str
    spans: list[tuple[int, int, str]]
    source: str
    group: str = ""  # the template it came from (for splits that keep a template on one side)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "spans": [list(s) for s in self.spans], "source": self.source}


_STREET_GAP = re.compile(r"[\s,>?]*")
_STREET_TAIL = re.compile(r" (?:St\.?|Street|street|Ave\.?|Avenue|Road|Rd\.?)(?!\w)")


def fill(template: str, p: Pools, source: str, *, lower_names: bool = False) -> Example:
    template = template.replace("\\n", "\n").replace("\\,", ",")
    text_parts: list[str] = []
    raw: list[tuple[int, int, str]] = []
    position = 0
    cursor = 0
    for m in _SLOT.finditer(template):
        literal = template[cursor : m.start()]
        text_parts.append(literal)
        position += len(literal)
        for raw_value, label in _slot_parts(m.group(1), p):
            value = lower_keep_length(raw_value) if lower_names and label == "person" else raw_value
            text_parts.append(value)
            if label is not None:
                raw.append((position, position + len(value), label))
            position += len(value)
        cursor = m.end()
    text_parts.append(template[cursor:])
    text = "".join(text_parts)
    return Example(text, _merge(text, raw), source, template)


def _merge(text: str, raw: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Street parts and the address parts next to them become one street_address."""
    spans: list[list[Any]] = []
    for start, end, label in sorted(raw):
        if (
            label == "person"
            and spans
            and spans[-1][2] == "person"
            and text[spans[-1][1] : start].strip(" ") == ""
        ):
            spans[-1][1] = end  # "{{first_name}} {{last_name}}" is one name
            continue
        if label in {"street", "addr_part"} and spans and spans[-1][2] in {"street", "addr_part"}:
            gap = text[spans[-1][1] : start]
            if _STREET_GAP.fullmatch(gap) and (label == "street" or spans[-1][3]):
                spans[-1][1] = end
                spans[-1][3] = spans[-1][3] or label == "street"
                spans[-1][2] = "street"
                continue
        spans.append([start, end, label, label == "street"])
    out: list[tuple[int, int, str]] = []
    for start, end, label, has_street in spans:
        if label not in {"street", "addr_part"}:
            out.append((start, end, label))
        elif has_street:
            tail = _STREET_TAIL.match(text, end)
            out.append((start, tail.end() if tail else end, "street_address"))
    return out


def _phrases(block: str) -> list[str]:
    return [p.strip() for p in " ".join(block.split("\n")).split("|") if p.strip()]


def _tails(block: str) -> list[str]:
    return [p if p[:1] in ".,?!" else " " + p for p in _phrases(block)]


def compose_templates(seed: int = 3) -> list[str]:
    """Templates composed from the frames of ``lexicon.py``: person and address slots in many
    positions, and the same positions holding organisations, places and common nouns."""
    rng = random.Random(seed)
    templates: set[str] = set()
    person_slots = ["{{person}}"] * 5 + ["{{first_name}}", "{{last_name}}", "{{prefix_male}} {{last_name}}",
                                         "{{prefix_female}} {{person}}", "{{first_name}} {{last_name}}"]  # fmt: skip
    address_slots = ["{{address}}"] * 3 + ["{{street_address}}"] * 2 + ["{{building_number}} {{street_name}}"]
    before, after = _phrases(lexicon.PERSON_BEFORE), _tails(lexicon.PERSON_AFTER)
    subject = _phrases(lexicon.PERSON_SUBJECT)
    a_before, a_after = _phrases(lexicon.ADDRESS_BEFORE), _tails(lexicon.ADDRESS_AFTER)
    not_person, not_address = _phrases(lexicon.NOT_PERSON), _phrases(lexicon.NOT_ADDRESS)
    for phrase in _phrases(lexicon.PLACE_FRAMES):
        templates.add(phrase)
    for phrase in before:
        for _ in range(2):
            templates.add(f"{phrase} {rng.choice(person_slots)}{rng.choice(after)}")
        templates.add(f"{phrase} {rng.choice(not_person)}{rng.choice(after)}")
    for phrase in subject:
        templates.add(f"{rng.choice(person_slots)} {phrase}")
        templates.add(f"{rng.choice(not_person).capitalize()} {phrase}")
    for phrase in a_before:
        for _ in range(2):
            templates.add(f"{phrase} {rng.choice(address_slots)}{rng.choice(a_after)}")
        templates.add(f"{phrase} {rng.choice(not_address)}{rng.choice(a_after)}")
        templates.add(f"{phrase} {{{{organization}}}} in {{{{city}}}}{rng.choice(a_after)}")
    return sorted((t[0].upper() + t[1:]) if rng.random() < 0.5 else t for t in sorted(templates))


def load_templates() -> tuple[list[str], list[str]]:
    presidio = [
        t for t in (GENERATOR / "templates.txt").read_text(encoding="utf-8").splitlines() if t.strip()
    ]
    own = [t for t in lexicon.TEMPLATES.strip().splitlines() if t.strip()] + compose_templates()
    return presidio, own


def split_list(items: list[str], split: str, seed: int, fraction: float = 0.25) -> list[str]:
    shuffled = sorted(set(items))
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * fraction)
    return shuffled[:cut] if split == "eval" else shuffled[cut:]


def documentation_sentences() -> list[str]:
    """Sentences of every other topic of Python's documentation (``pydoc_data``, standard library)."""
    import pydoc_data.topics as pydoc_topics

    sentences = []
    for key in sorted(pydoc_topics.topics)[1::2]:
        for paragraph in pydoc_topics.topics[key].split("\n\n"):
            flat = " ".join(paragraph.split())
            for sentence in re.split(r"(?<=[.!?])\s+", flat):
                if 30 <= len(sentence) <= 300 and not sentence.startswith((">>>", "...")):
                    sentences.append(sentence)
    random.Random(5).shuffle(sentences)
    return sentences


# Standard-library modules whose source serves as code without personal data (fixed per Python
# version, so training stays reproducible); chunks naming a known person are dropped.
_CODE_MODULES = (
    "argparse", "ast", "asyncio/base_events", "asyncio/streams", "base64", "calendar", "collections/__init__",
    "configparser", "csv", "dataclasses", "datetime", "difflib", "email/message", "enum", "fractions",
    "functools", "gettext", "gzip", "http/client", "http/cookies", "inspect", "ipaddress", "json/decoder",
    "json/encoder", "logging/__init__", "logging/handlers", "mimetypes", "pathlib", "pprint", "secrets",
    "shutil", "smtplib", "socket", "sqlite3/__init__", "ssl", "statistics", "string", "subprocess",
    "tarfile", "tempfile", "textwrap", "threading", "typing", "unittest/case", "urllib/parse",
    "urllib/request", "uuid", "zipfile", "wsgiref/handlers", "xml/dom/minidom",
)  # fmt: skip


def code_chunks(seed: int) -> list[str]:
    """Chunks of 3-12 lines of standard-library source."""
    import sysconfig

    library = Path(sysconfig.get_paths()["stdlib"])
    rng = random.Random(seed)
    names = known_names()
    chunks = []
    for module in _CODE_MODULES:
        path = library / f"{module}.py"
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        position = 0
        while position < len(lines):
            size = rng.randint(3, 12)
            chunk = "\n".join(lines[position : position + size]).strip()
            position += size
            if len(chunk) < 40 or any(w in names for w in re.findall(r"\w+", chunk)):
                continue
            chunks.append(chunk)
    rng.shuffle(chunks)
    return chunks


def known_names() -> set[str]:
    """Every name of the generator and the lexicon (to keep prompts that mention one out of the
    unlabelled negatives; never a model input)."""
    rows = _csv_rows("FakeNameGenerator.com_3000.csv")
    names = {r["GivenName"] for r in rows} | {r["Surname"] for r in rows}
    names |= set(lexicon.GIVEN_NAMES.split()) | set(lexicon.SURNAMES.split())
    names -= {"Will", "May", "Grace", "Hope", "Faith", "Joy", "Dawn", "Summer", "Rich", "Cash", "Mark", "Bill",
              "Hunter", "Chase", "Young", "King", "Day", "Price", "Church", "Hill", "Wood", "Stone", "Bell"}  # fmt: skip
    return names


def benign_prompts(split: str, seed: int, names: set[str]) -> list[str]:
    """Everyday prompts (label 0 of the injection set) without a capitalised known name in them."""
    import orjson

    texts = []
    with (INJECTION / "train.jsonl").open("rb") as f:
        for line in f:
            row = orjson.loads(line)
            if (
                row["label"] != 0
                or len(row["text"]) > 500
                or not row["source"].startswith(("s-labs", "neural"))
            ):
                continue
            words = re.findall(r"\w+", row["text"])
            if any(w in names for w in words[1:]) or re.search(
                r"\d+ \w+ (?:St|Ave|Road|Street)\b", row["text"]
            ):
                continue
            texts.append(row["text"])
    return split_list(texts, split, seed + 7, fraction=0.2)


def render(split: str, seed: int, *, per_template: int, part: str = "all") -> list[Example]:
    """Examples of ``split``; ``part`` "fit"/"dev" divides the training templates 85/15 for tuning."""
    pools = load_pools(split, seed)
    rng = pools.rng
    presidio, own = load_templates()
    templates = [(t, "presidio") for t in split_list(presidio, split, 11)]
    templates += [(t, "own") for t in split_list(own, split, 12)]
    if part != "all":
        keys = [t for t, _ in templates]
        dev = set(split_list(keys, "eval", 14, fraction=0.15))
        templates = [(t, s) for t, s in templates if (t in dev) == (part == "dev")]
    examples: list[Example] = []
    for template, source in templates:
        for _ in range(per_template):
            roll = rng.random()
            # training only: 10% more sentences with lower-cased names inside cased text
            extra_lower = split == "train" and rng.random() < 0.1
            example = fill(
                template, pools, source, lower_names=0.12 <= roll < 0.2 or (roll >= 0.23 and extra_lower)
            )
            if roll < 0.12:
                example.text = lower_keep_length(example.text)
            elif roll < 0.2:
                pass
            elif roll < 0.23:
                example.text = upper_keep_length(example.text)
            examples.append(example)
    if part == "dev":  # benign prompts of the training split that training leaves unused
        unused = benign_prompts(split, seed, known_names())[4000:4600]
        return examples + [Example(text, [], "benign") for text in unused]
    negatives = split_list([t for t in lexicon.NEGATIVES.strip().splitlines() if t.strip()], split, 13)
    for sentence in negatives:
        text = sentence.replace("\\n", "\n")
        examples.append(Example(text, [], "negative"))
        examples.append(Example(lower_keep_length(text), [], "negative"))
    limit = 4000 if split == "train" else 600
    for text in benign_prompts(split, seed, known_names())[:limit]:
        examples.append(Example(text, [], "benign"))
    if split == "train":  # technical prose: sentences of the Python documentation topics not counted
        for text in documentation_sentences()[:3000]:  # in the vocabulary (train.corpus_texts)
            examples.append(Example(text, [], "benign"))
        for text in code_chunks(seed)[:2500]:  # identifiers are not names
            examples.append(Example(text, [], "code"))
    return examples


# --- held-out evaluation files ----------------------------------------------------------------------

_STRUCTURED_CARRIERS = [
    "{v}", "Ref: {v}", "please use {v} for this one", "Details below.\n{v}\nThanks", "({v})", "value={v};",
    "The number {v} was rejected.", "see {v}, then call back", "row 17: {v}", "- {v}",
]  # fmt: skip
_STRUCTURED_CONTEXT = {
    "credit_card": ["Card: {v}", "my credit card number is {v}", "charge it to visa {v} please", "CC# {v}"],
    "iban": ["IBAN: {v}", "send the money to account {v}", "Bankverbindung: {v}", "wire to IBAN {v} today"],
    "us_ssn": ["SSN: {v}", "my social security number is {v}", "SSN {v} on file", "social security no. {v}"],
}


def structured_examples(seed: int, count: int) -> list[Example]:
    """Checksum-valid cards, IBANs and SSNs (labelled) and checksum-invalid look-alikes (not)."""
    rng = random.Random(seed)
    makers: dict[str, Callable[..., str]] = {"credit_card": card_number, "iban": iban, "us_ssn": ssn}
    examples: list[Example] = []
    for kind, make in makers.items():
        for i in range(count):
            valid = i % 3 != 2
            value = make(rng, valid=valid)
            if (kind == "us_ssn" and " " not in value and "-" not in value) or (
                kind == "us_ssn" and " " in value
            ):
                carrier = rng.choice(_STRUCTURED_CONTEXT[kind])  # undashed SSNs need a context word
            else:
                carrier = rng.choice(_STRUCTURED_CARRIERS + _STRUCTURED_CONTEXT[kind])
            start = carrier.index("{v}")
            text = carrier.replace("{v}", value)
            spans = [(start, start + len(value), kind)] if valid else []
            examples.append(Example(text, spans, f"structured-{'valid' if valid else 'invalid'}"))
    return examples


_CONTEXT_CARRIERS: dict[str, list[str]] = {
    "email": ["reply to {v} please", "Contact: {v}", "cc {v} on the thread", "<{v}>", "mailto:{v}"],
    "phone": ["call me on {v} after 6", "Phone: {v}", "mobile {v}", "reach the desk at {v}", "tel. {v}"],
    "ip_address": ["the request came from {v}", "server {v} is down", "allow {v} in the firewall"],
    "mac_address": ["device MAC {v} keeps dropping", "whitelist {v} on the router"],
    "date_of_birth": ["DOB: {v}", "she was born on {v}", "date of birth {v}", "birthday: {v}"],
    "passport_number": ["passport number {v}", "Passport: {v}, expires 2031"],
    "us_driver_license": ["driver's license {v}", "DL# {v}"],
}
# Look-alikes that must not be found (texts without entities).
_CONTEXT_NEGATIVES = [
    "Release {d} shipped on 2024-03-04 with version 1.2.3.4.", "Order #{n} was delivered on 12/05/2023.",
    "The meeting is on March 4, 2025 at 10:30.", "Invoice {n} totals 1,234.56 EUR.", "Table 3: 12 34 56 78 90",
    "Use std::vector<int> and a::b in C++.", "The hash is {h}.", "Build {n}-{n} passed in 12:30:45.",
]  # fmt: skip


def context_examples(seed: int, count: int) -> list[Example]:
    """The other structured types in short carriers, and digit look-alikes without entities."""
    rng = random.Random(seed)
    pools = load_pools("eval", seed)
    makers: dict[str, Callable[[], str]] = {
        "email": lambda: email(pools),
        "phone": lambda: phone_number(pools),
        "ip_address": lambda: ip_address(rng),
        "mac_address": lambda: mac_address(rng),
        "date_of_birth": lambda: date_of_birth(rng),
        "passport_number": lambda: passport(rng),
        "us_driver_license": lambda: driver_license(pools),
    }
    examples: list[Example] = []
    for kind, make in makers.items():
        for _ in range(count):
            carrier, value = rng.choice(_CONTEXT_CARRIERS[kind]), make()
            start = carrier.index("{v}")
            examples.append(
                Example(carrier.replace("{v}", value), [(start, start + len(value), kind)], "context")
            )
    for _ in range(count):
        text = rng.choice(_CONTEXT_NEGATIVES).format(
            n=rng.randint(100, 99999),
            d=rng.randint(1, 9),
            h="".join(rng.choice("0123456789abcdef") for _ in range(40)),
        )
        examples.append(Example(text, [], "context-negative"))
    return examples


def main() -> None:
    import argparse

    import orjson

    parser = argparse.ArgumentParser(description="Write the held-out PII evaluation sets.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "eval" / "pii")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-template", type=int, default=12)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sets = {
        "heldout.jsonl": render("eval", args.seed, per_template=args.per_template),
        "structured.jsonl": structured_examples(args.seed, 300),
        "contexts.jsonl": context_examples(args.seed, 40),
    }
    for name, examples in sets.items():
        with (args.out / name).open("wb") as f:
            for example in examples:
                f.write(orjson.dumps(example.as_json()) + b"\n")
        print(f"{args.out / name}: {len(examples)} examples")


if __name__ == "__main__":
    main()
