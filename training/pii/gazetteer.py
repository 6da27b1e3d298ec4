"""The tagger's gazetteer: word -> classes (``given``, ``surname``, ``place``, ``org``, ``nat``, ``title``,
``month``), shipped as ``gazetteer.txt`` beside the model and read by ``pii_features``/``pii_ner``.

Names come from the training split only (the generator's identities, ``lexicon.py`` and
``prose_lexicon.py``; held-out names are never in it), so held-out figures measure names the list
does not know, as real text mostly has. For training, ``training_view`` also leaves out 60% of the
names and half of the other entries (by a hash): the model must not learn that a name is always listed.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lexicon
import prose_lexicon
from values import _csv_rows, held_out

NAME_CLASSES = frozenset({"given", "surname"})
# Lower-case parts of names ("de Jong", "van der Berg", "al-Sisi") are not names on their own.
PARTICLES = frozenset(
    "de del della der den di da das dos du la le van von ten ter bin ibn al el zu".split()  # noqa: SIM905
)


def build() -> dict[str, str]:
    classes: dict[str, set[str]] = {}

    def add(words: list[str], kind: str) -> None:
        for word in words:
            for part in word.replace("-", " ").split():
                key = part.lower().strip(".,")
                if len(key) > 1 and not (kind in NAME_CLASSES and key in PARTICLES):
                    classes.setdefault(key, set()).add(kind)

    def add_whole(phrases: list[str], kind: str) -> None:  # several words, looked up as one
        for phrase in phrases:
            key = phrase.lower().removeprefix("the ").strip()
            if " " in key:
                classes.setdefault(key, set()).add(kind)

    rows = _csv_rows("FakeNameGenerator.com_3000.csv")
    given = [r["GivenName"] for r in rows] + lexicon.GIVEN_NAMES.split() + prose_lexicon.INTL_GIVEN.split()
    surnames = [r["Surname"] for r in rows] + lexicon.SURNAMES.split() + prose_lexicon.INTL_SURNAMES.split()
    add([g for g in given if not held_out(g)], "given")
    add([s for s in surnames if not held_out(s)], "surname")
    nationalities = [list(r.values()) for r in _csv_rows("nationalities.csv")]
    add([n[0] for n in nationalities] + prose_lexicon.CITIES.split(), "place")
    add([w for n in nationalities for w in n[1:]] + prose_lexicon.RELIGIONS.split(), "nat")
    single_orgs = [o.strip() for o in prose_lexicon.ORGS.split("|") if " " not in o.strip()]
    brands = [b.strip() for b in prose_lexicon.BRANDS.split("|")]
    add(prose_lexicon.ORG_WORDS.split() + single_orgs + brands, "org")
    add_whole([o.strip() for o in prose_lexicon.ORGS.split("|")], "org")
    add_whole(prose_lexicon.CITIES_MULTI.split("|"), "place")
    add(prose_lexicon.TITLES.split(), "title")
    add(prose_lexicon.MONTHS_DAYS.split(), "month")
    for kinds in classes.values():  # "German", "Muslim" are listed given names; as words they are not
        if "nat" in kinds:
            kinds.difference_update(NAME_CLASSES)
    return {word: "+".join(sorted(kinds)) for word, kinds in sorted(classes.items())}


def training_view(gazetteer: dict[str, str]) -> dict[str, str]:
    """The gazetteer with 60% of the name entries and half of the places, organisations and
    nationalities left out (by a hash of the word): the model must learn the contexts of names and
    places, which real text offers for unlisted ones too, not only the list."""
    out: dict[str, str] = {}
    for word, kinds in gazetteer.items():
        parts = kinds.split("+")
        roll = zlib.crc32(("gaz:" + word).encode()) % 10
        if roll < 6:
            parts = [k for k in parts if k not in NAME_CLASSES]
        if roll % 2 == 0:
            parts = [k for k in parts if k not in {"place", "org", "nat"}]
        if parts:
            out[word] = "+".join(parts)
    return out


def write(gazetteer: dict[str, str], path: Path) -> None:
    path.write_text("".join(f"{w}\t{k}\n" for w, k in gazetteer.items()), encoding="utf-8")
