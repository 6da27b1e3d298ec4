"""What a name or an address is not: the tagger's checks of a span against the model's vocabulary
(common words) and gazetteer (given names, surnames, places, organisations, nationalities, titles,
months), and against the line it sits on (code, configuration, lower-case text).

``pii_ner`` runs the model and decodes spans; every span it would report passes ``Lexicon.check``
first (see ``Lexicon`` for the rules and the mistakes each one prevents).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path

from trueport.guard import pii_features as pf


def read_gazetteer(path: Path) -> dict[str, str]:
    """``word<TAB>classes`` lines (``given+surname``, ``place``, ``org``, ``nat``, ``title``, ``month``)."""
    if not path.is_file():
        return {}
    pairs = (line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line)
    return {word: kinds for word, kinds in pairs}


_NAME_CLASSES = frozenset({"given", "surname"})
_PARTICLES = frozenset([
    "de", "del", "della", "der", "den", "di", "da", "das", "dos", "du", "la", "le", "van", "von", "ten",
    "ter", "bin", "ibn", "al", "el", "y", "e", "zu", "st",
])  # fmt: skip
_PLACE_BEFORE = frozenset(["in", "near", "outside", "across", "via", "towards", "toward"])
_UNITS = frozenset([
    "tsp", "tbsp", "teaspoon", "teaspoons", "tablespoon", "tablespoons", "cup", "cups", "g", "kg", "mg",
    "ml", "l", "oz", "lb", "lbs", "pinch", "clove", "cloves", "can", "cans", "slice", "slices", "x", "min",
    "mins", "minutes", "hours", "hour", "seconds", "s", "km", "m", "cm", "mm", "mi", "miles", "percent",
    "pc", "pcs", "units", "items", "boxes", "pieces", "egg", "eggs", "degrees", "points", "votes",
    "people", "am", "pm",
])  # fmt: skip
_STREET_WORDS = frozenset([
    "street", "st", "str", "ave", "av", "avenue", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive",
    "dr", "court", "ct", "way", "place", "pl", "terrace", "ter", "terr", "circle", "cir", "parkway",
    "pkwy", "highway", "hwy", "square", "sq", "trail", "crescent", "cres", "close", "grove", "gardens",
    "row", "mews", "rue", "avenida", "avda", "av", "calle", "carrer", "rua", "via", "viale", "vicolo",
    "corso", "piazza", "plaza", "platz", "allee", "chaussee", "ul", "ulica", "ulitsa", "utca", "jalan",
    "marg", "box", "postbox", "apt", "apartment", "suite", "ste", "unit", "flat", "floor", "bldg",
    "building", "strasse", "straße", "gasse", "weg", "laan", "plein", "straat", "gracht", "gatan", "vägen",
    "gade", "vej", "veien", "katu", "tie", "dori",
])  # fmt: skip
_STREET_SUFFIXES = (
    "straße", "strasse", "str.", "gasse", "weg", "straat", "gracht", "laan", "plein", "gatan", "vägen",
    "gade", "vej", "veien", "katu", "utca", "platz", "allee", "damm", "ring", "dori",
)  # fmt: skip
# A line of code or configuration (names on it are identifiers, unless quoted or in a comment).
_CODE_START = re.compile(
    r"""\s*(?:[\w.\[\]"'$-]+\s*=\s*\S|(?:def|func|fn)\s+\w+\s*\(|class\s+\w+\s*[:({]
    |(?:import|from)\s+[\w.]+(?:\s+import\b|\s*$)|\#include|</?\w+[^>]*>|[\w-]+:\s*$|-\s+[\w-]+:\s
    |(?:public|private|protected|static|return|upstream|server|location|listen)\s)""",
    re.X,
)
_CODE_OPERATORS = ("=>", "->", "::", "+=", "==", "!=", "&&", "||")
_CODE_CALL = re.compile(r"\w\(|\)\s*[:{]")


class Lexicon:
    """The model's vocabulary (common words) and gazetteer, and the checks of a span against them:

    - a person keeps its tokens from the first to the last capitalised one, without titles and role
      words before it ("President", "Mr."); a lower-case word inside (not a particle: "de", "van")
      or no capitalised word at all drops it, unless the line is written in lower case, where a
      name needs a listed given name or surname and no common word ("brown", "frank");
    - a person made only of common words ("Bake", "Man") or only of places, organisations,
      nationalities and religions ("Heineken", "Roman Catholic", "Goldman Sachs"), or with an
      organisation word ("Deutsche Bank"), is dropped, and so is one unlisted word after "in" or
      "near" (a place) or ending in "-ly" ("Lastly");
    - an address needs a street word ("Road", "rue", "-straße", "P.O. Box"; a leading "St" is a
      saint), or else three or more words on one line, at most two numbers, no lower-case word, and
      a house number right beside a capitalised word that is not a common word, a given name, a
      nationality or a unit ("1 egg", "1 tsp vanilla", "17 Roman Catholic", "Emma, 28" are not);
    - on a line of code or configuration, a person or an address outside a string or a comment
      is an identifier, not personal data.
    """

    def __init__(self, vocabulary: frozenset[str], gazetteer: Mapping[str, str]) -> None:
        self.vocabulary = vocabulary
        self.gazetteer = gazetteer

    def classes(self, words: str) -> frozenset[str]:
        kinds = self.gazetteer.get(words.lower())
        return frozenset(kinds.split("+")) if kinds else frozenset()

    def is_name_word(self, word: str) -> bool:
        return bool(self.classes(word) & _NAME_CLASSES)

    def check(self, text: str, tokens: pf.Tokens, span: tuple[int, int], kind: str) -> tuple[int, int] | None:
        first, last = span
        line_start = text.rfind("\n", 0, tokens.starts[first]) + 1
        line_end = text.find("\n", tokens.ends[last - 1])
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if _code_line(line) and not _quoted(text[line_start : tokens.starts[first]]):
            return None
        if kind == "PER":
            return self._person(tokens.words, first, last, _lower_case(line))
        return self._address(text, tokens, first, last)

    def _person(self, words: list[str], first: int, last: int, lower_line: bool) -> tuple[int, int] | None:
        if lower_line:  # no capitals to go by: a listed name or two unknown words, no common word
            alpha = [w for w in words[first:last] if w[0].isalpha()]
            unknown = len(alpha) >= 2 and not any(w in self.vocabulary for w in alpha)
            if not unknown and not any(self.is_name_word(w) for w in alpha):
                return None
            if len(alpha) == 1 and alpha[0] in self.vocabulary:
                return None  # "brown", "frank", "will"
            if any(w in self.vocabulary and not self.is_name_word(w) for w in alpha):
                return None
            return first, last
        while first < last and not (_capitalised(words[first]) and not self._title(words[first])):
            first += 1  # titles and lower-case words before the name ("former coach", "Mr.")
        while last > first and not _capitalised(words[last - 1]):
            last -= 1
        if first >= last:
            return None
        inner = words[first:last]
        if any(w[0].isalpha() and not _capitalised(w) and w.lower() not in _PARTICLES for w in inner):
            return None
        alpha = [w for w in inner if w[0].isalpha() and len(w) > 1]
        if not alpha:
            return None
        after_place_word = first > 0 and words[first - 1].lower() in _PLACE_BEFORE
        if len(alpha) == 1 and not self.is_name_word(alpha[0]) and after_place_word:
            return None  # "in Aleppo", "near Lille": a place
        whole = self.classes(" ".join(alpha))
        if whole and not whole & _NAME_CLASSES:
            return None  # a listed organisation or place of several words: "Goldman Sachs"
        if len(alpha) > 1 and any("org" in self.classes(w) and not self.is_name_word(w) for w in alpha):
            return None  # "Deutsche Bank", "Volvo Cars"
        if len(alpha) == 1 and alpha[0].endswith("ly") and not self.is_name_word(alpha[0]):
            return None  # "Lastly", "Finally"
        if any(self.is_name_word(w) for w in alpha):
            return first, last
        if all(w.lower() in self.vocabulary for w in alpha):
            return None  # common words: "Bake", "Man", "Cross Over"
        if all(self.classes(w) for w in alpha):
            return None  # places, organisations, nationalities, months: "Heineken", "Roman Catholic"
        return first, last

    def _title(self, word: str) -> bool:
        kinds = self.classes(word)
        return "title" in kinds and not kinds & _NAME_CLASSES

    def _address(self, text: str, tokens: pf.Tokens, first: int, last: int) -> tuple[int, int] | None:
        words = tokens.words
        street = [
            k for k in range(first, last)
            if words[k].lower() in _STREET_WORDS or words[k].lower().endswith(_STREET_SUFFIXES)
        ]  # fmt: skip
        saint = street == [first] and words[first].lower() == "st"  # "St Thomas"
        if street and not saint:
            return first, last
        alnum = [w for w in words[first:last] if w[0].isalnum()]
        numbers = sum(w[0].isdigit() for w in alnum)
        if len(alnum) < 3 or numbers > 2 or "\n" in text[tokens.starts[first] : tokens.ends[last - 1]]:
            return None  # "Gina 69", "Title 45 Vol 1 Part 46", "Gameweek 24\nErling Haaland"
        if any(w.isalpha() and w.islower() and w not in _PARTICLES for w in words[first:last]):
            return None  # "Gina 69 potatoes"
        for i in range(first, last):
            if not words[i][0].isdigit() or (i + 1 < last and words[i + 1].lower() in _UNITS):
                continue
            for j in (i - 1, i + 1):  # a house number beside a street name, on the same line
                if first <= j < last and self._street_name_word(words[j]):
                    gap = text[min(tokens.ends[i], tokens.ends[j]) : max(tokens.starts[i], tokens.starts[j])]
                    if not gap.strip(" \t"):
                        return first, last
        return None

    def _street_name_word(self, word: str) -> bool:
        if not (word[0].isupper() and word.isalpha() and len(word) > 1):
            return False
        kinds = self.classes(word)
        if kinds & {"nat", "month", "title", "org"} or word.lower() in _UNITS or kinds == {"given"}:
            return False  # "17 Roman Catholic", "6 PM", "Emma 28"
        return word.lower() not in self.vocabulary or bool(kinds & {"surname", "place"})


def may_hold_address(text: str, tokens: pf.Tokens) -> bool:
    """Whether ``Lexicon.check`` could accept any address span in this text: it needs a street word
    (or a street suffix), or a number right beside a capitalised word on the same line. False means
    no street address can be found here whatever the model says, so a caller that wants addresses
    only need not run it (the findings are the same; ``tests/guard/test_pii.py`` checks that)."""
    words = tokens.words
    previous_digit = previous_capital = False
    previous_end = -1
    for word, start, end in zip(words, tokens.starts, tokens.ends, strict=True):
        lower = word.lower()
        if lower in _STREET_WORDS or lower.endswith(_STREET_SUFFIXES):
            return True
        digit = word[0].isdigit()
        capital = word[0].isupper() and word.isalpha() and len(word) > 1
        beside = (digit and previous_capital) or (capital and previous_digit)
        if beside and not text[previous_end:start].strip(" \t"):
            return True
        previous_digit, previous_capital, previous_end = digit, capital, end
    return False


@functools.lru_cache(maxsize=4096)
def _code_line(line: str) -> bool:
    if line.rstrip()[-1:] in {"{", "}", ";"} or any(op in line for op in _CODE_OPERATORS):
        return True
    return _CODE_START.match(line) is not None or ("(" in line and _CODE_CALL.search(line) is not None)


def _capitalised(word: str) -> bool:
    """ "Smith", "O'Neil", and "al-Sisi", "d'Alembert" (a capitalised part after a particle)."""
    return word[0].isupper() or any(part[:1].isupper() for part in re.split(r"['\u2019-]", word)[1:])


_LETTER = re.compile(r"[^\W\d_]")
_UPPER = re.compile(r"[A-Z\u00c0-\u00de\u0391-\u03a9\u0410-\u042f]")


@functools.lru_cache(maxsize=4096)
def _lower_case(line: str) -> bool:
    """At most 1% of the line's letters are capitals (Latin, Greek, Cyrillic)."""
    letters = len(_LETTER.findall(line))
    return letters >= 8 and len(_UPPER.findall(line)) <= letters * 0.01


def _quoted(before: str) -> bool:
    """Whether the text before a span on its line opens a string or a comment."""
    return before.count('"') % 2 == 1 or before.count("'") % 2 == 1 or "#" in before or "//" in before
