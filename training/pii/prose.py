# ruff: noqa: S311 -- seeded pseudo-random data generation, not cryptography
"""Labelled prose (news, sport, business, stories, e-mails, chat, biographies) and hard negatives.

- ``prose_examples(split, seed, per_frame)``: the frames of ``prose_frames.py`` (training frames or
  the separately written held-out frames) filled with names of the split (``values.held_out``),
  organisations, places, nationalities, religions and brands;
- ``handwritten()``: held-out sentences written out in full (``eval/pii/prose_handwritten.txt``,
  names in ``[[...]]``, addresses in ``{{...}}``), never trained on;
- ``benign_rows(split)``: rows of ``shared/datasets/benign/*.jsonl`` by the data-hygiene rule:
  ``f = sha256(text)[:8] / 2**64``; training uses ``f < 0.6`` only, evaluation ``f >= 0.8`` (the
  traffic benchmark's reserved rows, evaluated on, never trained on); ``0.6 <= f < 0.8`` unused;
- ``technical_negatives()``: configs, recipes, measurement lists and maths written here.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prose_frames
import prose_lexicon
from render import Example
from values import GENERATOR, _csv_rows, held_out, load_pools, street_address

ROOT = Path(__file__).resolve().parents[2]
BENIGN = GENERATOR.parents[1] / "benign"
HANDWRITTEN = ROOT / "eval" / "pii" / "prose_handwritten.txt"
TRAIN_LIMIT, RESERVED_FROM = 0.6, 0.8

_SLOT = re.compile(r"<(P|L|F|G|S|ADDR|ORG|CITY|COUNTRY|NAT|NATS|REL|BRAND|DAY|MONTH|N)>")
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip


def hygiene_fraction(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def _split_words(block: str, split: str) -> list[str]:
    return sorted({w for w in block.split() if held_out(w) == (split == "eval")})


class ProsePools:
    def __init__(self, split: str, seed: int) -> None:
        self.rng = random.Random(seed)
        pools = load_pools(split, seed)
        self.pools = pools
        self.given = pools.given + _split_words(prose_lexicon.INTL_GIVEN, split) * 3
        self.surnames = pools.surnames + _split_words(prose_lexicon.INTL_SURNAMES, split) * 3
        cities = prose_lexicon.CITIES.split("\n")
        self.cities = [c for line in cities for c in _city_names(line)]
        if split == "eval":
            self.cities += prose_lexicon.EVAL_PLACES.split() * 3
        countries = [r["country"].title() for r in _csv_rows("nationalities.csv")]
        self.countries = [c for c in countries if len(c) < 20]
        nationalities = [list(r.values()) for r in _csv_rows("nationalities.csv")]
        self.nationalities = [n[1].title() for n in nationalities]
        self.nationals = [n[4].title() for n in nationalities]
        companies = [r["organization"] for r in _csv_rows("companies_and_organizations.csv")]
        own = [o.strip() for o in prose_lexicon.ORGS.split("|") if o.strip()]
        split_companies = [c for c in companies if held_out(c) == (split == "eval")]
        self.orgs = own * 4 + split_companies
        self.brands = [b.strip() for b in prose_lexicon.BRANDS.split("|") if b.strip()]
        self.religions = prose_lexicon.RELIGIONS.split()


def _city_names(line: str) -> list[str]:
    """Multi-word cities are listed by known pairs; the rest are single words."""
    words = line.split()
    out: list[str] = []
    i = 0
    pairs = {"Addis", "Hong", "Kuala", "Los", "San", "New", "Mexico", "Buenos", "Sao"}
    while i < len(words):
        if words[i] in pairs and i + 1 < len(words):
            out.append(f"{words[i]} {words[i + 1]}")
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


def _name(p: ProsePools) -> tuple[str, str, str]:
    """(full name, given name, surname)."""
    rng = p.rng
    given, surname = rng.choice(p.given), rng.choice(p.surnames)
    roll = rng.random()
    if roll < 0.08:
        return f"{given} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {surname}", given, surname
    if roll < 0.12:
        second = rng.choice(p.surnames)
        return f"{given} {surname}-{second}", given, f"{surname}-{second}"
    if roll < 0.16:
        return (
            f"{given} {rng.choice(['de', 'van', 'van der', 'al', 'bin', 'da', 'von'])} {surname}",
            given,
            surname,
        )
    return f"{given} {surname}", given, surname


def fill_frame(frame: str, p: ProsePools, source: str) -> Example:
    rng = p.rng
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    position = cursor = 0
    last = ("", "", "")
    frame = frame.replace("\\n", "\n")
    for m in _SLOT.finditer(frame):
        literal = frame[cursor : m.start()]
        parts.append(literal)
        position += len(literal)
        slot = m.group(1)
        label: str | None = None
        if slot == "P":
            last = _name(p)
            value, label = last[0], "person"
        elif slot in {"L", "F"}:
            if not last[0]:
                last = _name(p)
            value, label = (last[2] if slot == "L" else last[1]), "person"
        elif slot == "G":
            last = _name(p)
            value, label = last[1], "person"
        elif slot == "S":
            last = _name(p)
            value, label = last[2], "person"
        elif slot == "ADDR":
            value, label = _address(p), "street_address"
        else:
            value = _negative_value(slot, p)
        parts.append(value)
        if label is not None:
            spans.append((position, position + len(value), label))
        position += len(value)
        cursor = m.end()
    parts.append(frame[cursor:])
    text = "".join(parts)
    if rng.random() < 0.1 and not spans:  # headline style
        text = text.title() if rng.random() < 0.5 else text
    return Example(text, spans, source, frame)


def _address(p: ProsePools) -> str:
    rng = p.rng
    street = street_address(p.pools)
    if rng.random() < 0.4:
        who = rng.choice(p.pools.all_identities)
        street = f"{street}, {who.city}" if rng.random() < 0.6 else f"{street}, {who.zipcode} {who.city}"
    return street


_NUMBERS = (2, 3, 4, 5, 7, 10, 12, 15, 17, 20, 25, 40, 60, 120, 300)


def _negative_value(slot: str, p: ProsePools) -> str:
    """A value for a slot that holds no personal data (a number for an unknown slot)."""
    pools: dict[str, Sequence[object]] = {
        "ORG": p.orgs,
        "CITY": p.cities,
        "COUNTRY": p.countries,
        "NAT": p.nationalities,
        "NATS": p.nationals,
        "REL": p.religions,
        "BRAND": p.brands,
        "DAY": _DAYS,
        "MONTH": _MONTHS,
    }
    return str(p.rng.choice(pools.get(slot, _NUMBERS)))


def _frames(block: str) -> list[str]:
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


def prose_examples(split: str, seed: int, per_frame: int) -> list[Example]:
    p = ProsePools(split, seed)
    frames = _frames(prose_frames.EVAL if split == "eval" else prose_frames.TRAIN)
    negatives = _frames(prose_frames.NEGATIVE_EVAL if split == "eval" else prose_frames.NEGATIVE_TRAIN)
    examples = [fill_frame(f, p, "prose") for f in frames for _ in range(per_frame)]
    examples += [fill_frame(f, p, "prose-negative") for f in negatives for _ in range(max(1, per_frame // 2))]
    return examples


_MARK = re.compile(r"\[\[(.+?)\]\]|\{\{(.+?)\}\}")


def parse_marked(line: str) -> Example:
    """``[[name]]`` is a person, ``{{address}}`` a street address."""
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    position = cursor = 0
    for m in _MARK.finditer(line):
        parts.append(line[cursor : m.start()])
        position += m.start() - cursor
        value = m.group(1) or m.group(2)
        spans.append((position, position + len(value), "person" if m.group(1) else "street_address"))
        parts.append(value)
        position += len(value)
        cursor = m.end()
    parts.append(line[cursor:])
    return Example("".join(parts).replace("\\n", "\n"), spans, "handwritten")


def handwritten() -> list[Example]:
    lines = HANDWRITTEN.read_text(encoding="utf-8").splitlines()
    return [parse_marked(line) for line in lines if line.strip() and not line.startswith("#")]


def benign_rows(split: str, names: set[str]) -> list[tuple[str, str]]:
    """(file stem, text) of benign rows: ``split`` "train" (f < 0.6) or "reserved" (f >= 0.8).

    Training drops rows with a capitalised known name (they are unlabelled) and word problems
    and role-play (full of fictional people's names); the reserved rows are all kept."""
    out: list[tuple[str, str]] = []
    for path in sorted(BENIGN.glob("*.jsonl")):
        with path.open("rb") as f:
            for line in f:
                text = str(orjson.loads(line)["text"])
                fraction = hygiene_fraction(text)
                if split == "reserved":
                    if fraction >= RESERVED_FROM:
                        out.append((path.stem, text))
                    continue
                if fraction >= TRAIN_LIMIT or path.stem in {"word_problems", "roleplay"}:
                    continue
                if any(w in names for w in re.findall(r"[A-Z]\w+", text)):
                    continue
                out.append((path.stem, text))
    return out


def vocabulary_texts() -> list[str]:
    """Benign rows allowed for training (f < 0.6) of every file, for counting common words."""
    texts: list[str] = []
    for path in sorted(BENIGN.glob("*.jsonl")):
        with path.open("rb") as f:
            rows = (str(orjson.loads(line)["text"]) for line in f)
            texts.extend(t for t in rows if hygiene_fraction(t) < TRAIN_LIMIT)
    return texts


def word_problem_negatives(names: set[str], limit: int) -> list[str]:
    """Training word problems (f < 0.6) whose capitalised words all occur in lower case elsewhere in
    the file ("If", "How", "The"): the quantities and steps, without unlabelled names."""
    with (BENIGN / "word_problems.jsonl").open("rb") as f:
        texts = [str(orjson.loads(line)["text"]) for line in f]
    lower = {w for t in texts for w in re.findall(r"\b[a-z]+\b", t)}
    out: list[str] = []
    for text in texts:
        if hygiene_fraction(text) >= TRAIN_LIMIT:
            continue
        capitalised = re.findall(r"\b[A-Z][a-z]*\b", text)
        if any(w.lower() not in lower or w in names for w in capitalised):
            continue
        out.append(text)
        if len(out) >= limit:
            break
    return out


TECHNICAL = r"""
upstream api {\n    server 10.0.0.12:8080 max_fails=3;\n    server 10.0.0.13:8080 backup;\n}
server {\n    listen 443 ssl;\n    server_name example.com;\n    location / {\n        proxy_pass http://api;\n    }\n}
upstream backend {\n    least_conn;\n    server app1 weight=5;\n    server app2;\n}
[database]\nhost = db.internal\nport = 5432\nuser = app\nname = orders
services:\n  web:\n    image: nginx:1.25\n    ports:\n      - "80:80"\n  worker:\n    build: .\n    depends_on: [redis]
apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: billing\nspec:\n  replicas: 3
FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["gunicorn", "app:app"]
export PATH=$HOME/bin:$PATH\nalias ll='ls -la'\nsource ~/.venv/bin/activate
SELECT name, total FROM orders WHERE status = 'open' ORDER BY created_at DESC LIMIT 10;
CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE);
def cross_over(parent_a, parent_b):\n    point = random.randint(1, len(parent_a) - 1)\n    return parent_a[:point] + parent_b[point:]
class Person:\n    def __init__(self, name, age):\n        self.name = name\n        self.age = age
const user = await api.get(`/users/${id}`);\nif (!user) throw new NotFound();
func (s *Server) Start(ctx context.Context) error {\n    return s.http.ListenAndServe()\n}
<div class="card">\n  <h2>{{ title }}</h2>\n  <p>{{ body }}</p>\n</div>
Ingredients:\n1 egg\n1 tsp vanilla\n2 cups flour\n1/2 cup sugar\n100 g butter
Ingredients\n- 2 eggs\n- 1 cup milk\n- 1 tbsp honey\n- 1 pinch salt
Method: Bake at 350 for 30 minutes. Cross over the strips to make a lattice.
1 kg potatoes, 2 onions, 3 carrots, 1 l stock
Step 1: Chop 2 onions. Step 2: Fry in 1 tbsp oil. Step 3: Add 400 g tomatoes.
3 x 5 km intervals, 2 min rest, 1 x 10 min cool-down
If 3 x + 2 = 17, then x = 5. Check: 3 * 5 + 2 = 17.
Solve for y: 2 y - 4 = 10, so y = 7.
The area of a circle with radius 4 cm is 16 pi cm2, about 50.3 cm2.
Load: 12 kN at 3 m, 8 kN at 5 m; Span 10 m.
"""


def technical_negatives() -> list[str]:
    return [line.replace("\\n", "\n") for line in _frames(TECHNICAL)]
