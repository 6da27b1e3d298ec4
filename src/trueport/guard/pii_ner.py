"""Person names and street addresses: the project's token tagger (``models/pii_ner``), run on CPU.

``NameAddressTagger`` tokenises a text, computes hashed features (``pii_features``), runs the ONNX
model (a linear tagger and a stacked second stage over its neighbours' outputs, see
``training/pii/train.py``: per-token probabilities of O, B-PER, I-PER, B-ADDR, I-ADDR) and decodes:

- a token is part of a person (address) when P(B-PER) + P(I-PER) (resp. ADDR) reaches
  ``token_threshold`` and beats the other type; tokens inside a structured match the caller passes
  as ``blocked`` (an e-mail, a phone number) are never part of a name or address;
- one separator (``,`` ``-`` ``/`` ``#`` ``.`` in addresses, ``.`` ``-`` in names) or short
  lower-case particle ("de", "van", "la") between two tokens of one type is bridged;
- consecutive tokens form a span, split where the B probability wins; a run of the other type
  continuing on the same line joins it (the span takes the type with the larger probability mass);
  address lines separated only by quote marks ("> ") are joined;
- leading and trailing punctuation is trimmed (the period of "St.", "Jr." is kept); a name with
  digits, underscores or code-like inner capitals ("KeyInfo"; "McDonald" is fine) is dropped, and so
  is an address of one token or one that reads as a date;
- the span is checked against the vocabulary and the gazetteer (``Lexicon``): titles and role words
  before a name are cut off; a "person" of common words ("Bake", "Man stole pigs"), of places,
  organisations or nationalities only ("Heineken", "Roman Catholic") or with a lower-case word
  inside is dropped; an address needs a street word or a house number next to a capitalised word
  that is not a unit, a common word or a nationality ("1 egg", "17 Roman Catholic" are not); on a
  line of code or configuration only names inside strings and comments count;
- the span's score is the mean entity probability of its tokens (a model probability).

The model runs in-process with ONNX Runtime from ``<models_dir>/pii_ner/<latest version>/``, or
through any object with ``infer(name, inputs) -> outputs`` (``trueport.guard.models``'
``ModelRepository``, a Triton client). The vocabulary and the feature layout are read from the
version directory either way (``vocab.txt``, ``gazetteer.txt``, ``features.json``; ``models_dir`` defaults to the
backend's ``path`` when it has one, else to the repository's ``models/``), and checked against
this code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import onnxruntime as ort

from trueport import jsonutil
from trueport.guard import pii_features as pf
from trueport.guard.pii_patterns import Match

MODEL_NAME = "pii_ner"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[3] / "models"
BATCH_TOKENS = 4096  # tokens per model call

Tensor = np.ndarray[Any, np.dtype[Any]]
_BRIDGE = {"ADDR": {",", "-", "/", "#", "."}, "PER": {".", "-"}}
_COLUMNS = {"PER": (1, 2), "ADDR": (3, 4)}  # (B, I) columns of the model output


class ModelUnavailable(Exception):
    """The tagger's model files are missing or do not match this code."""


class InferenceBackend(Protocol):
    def infer(self, name: str, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]: ...


class LocalOnnxBackend:
    """One ONNX model from a Triton-layout repository, run in-process on CPU with one thread."""

    def __init__(self, version_dir: Path, *, output: str = "probabilities") -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(
            str(version_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._output = output

    def infer(self, name: str, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        (values,) = self._session.run([self._output], dict(inputs))
        return {self._output: np.asarray(values)}


def latest_version(model_dir: Path) -> Path:
    versions = sorted(
        (int(p.name) for p in model_dir.iterdir() if p.name.isdigit() and (p / "model.onnx").is_file()),
    ) if model_dir.is_dir() else []  # fmt: skip
    if not versions:
        raise ModelUnavailable(f"no <version>/model.onnx under {model_dir}")
    return model_dir / str(versions[-1])


class NameAddressTagger:
    """Spans of person names and street addresses in a text, with model probabilities."""

    def __init__(
        self,
        models_dir: Path | str | None = None,
        *,
        backend: InferenceBackend | None = None,
        model_name: str = MODEL_NAME,
        token_threshold: float = 0.25,
    ) -> None:
        if models_dir is None:  # a model repository backend knows where the files are
            repository = getattr(backend, "path", None)
            models_dir = repository if isinstance(repository, Path) else DEFAULT_MODELS_DIR
        version_dir = latest_version(Path(models_dir) / model_name)
        try:
            metadata = jsonutil.loads_object((version_dir / "features.json").read_bytes())
            vocabulary = (version_dir / str(metadata["vocabulary"])).read_text(encoding="utf-8").split()
            gazetteer = read_gazetteer(version_dir / str(metadata.get("gazetteer", "gazetteer.txt")))
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(f"{version_dir}: {exc}") from exc
        expected = {
            "labels": list(pf.LABELS),
            "buckets": pf.BUCKETS,
            "features_per_token": pf.FEATURES_PER_TOKEN,
        }
        for key, value in expected.items():
            if metadata.get(key) != value:
                raise ModelUnavailable(
                    f"{version_dir}: {key} is {metadata.get(key)!r}, this code needs {value!r}"
                )
        self._input = str(metadata.get("input", "features"))
        self._output = str(metadata.get("output", "probabilities"))
        self._name = model_name
        self._backend = backend if backend is not None else LocalOnnxBackend(version_dir, output=self._output)
        self._featurizer = pf.Featurizer(frozenset(vocabulary), gazetteer)
        self._lexicon = Lexicon(self._featurizer.vocabulary, gazetteer)
        self.token_threshold = token_threshold

    def probabilities(self, text: str, tokens: pf.Tokens) -> np.ndarray[Any, np.dtype[np.float32]]:
        features = self._featurizer.featurize(text, tokens)
        parts = []
        for start in range(0, len(features), BATCH_TOKENS):
            outputs = self._backend.infer(self._name, {self._input: features[start : start + BATCH_TOKENS]})
            parts.append(np.asarray(outputs[self._output], dtype=np.float32))
        if not parts:
            return np.zeros((0, len(pf.LABELS)), dtype=np.float32)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def tag(self, text: str, blocked: Sequence[tuple[int, int]] = ()) -> list[Match]:
        tokens = pf.tokenize(text)
        if not len(tokens):
            return []
        probs = self.probabilities(text, tokens)
        return decode(text, tokens, probs, self.token_threshold, blocked, self._lexicon)


def decode(
    text: str,
    tokens: pf.Tokens,
    probs: np.ndarray[Any, np.dtype[np.float32]],
    threshold: float,
    blocked: Sequence[tuple[int, int]] = (),
    lexicon: Lexicon | None = None,
) -> list[Match]:
    """Spans from per-token probabilities (see the module docstring)."""
    lexicon = lexicon or Lexicon(frozenset(), {})
    p_per = probs[:, 1] + probs[:, 2]
    p_addr = probs[:, 3] + probs[:, 4]
    is_per = (p_per >= threshold) & (p_per >= p_addr)
    is_addr = (p_addr >= threshold) & ~is_per
    candidates = np.flatnonzero(is_per | is_addr)
    if candidates.size == 0:
        return []
    kinds: list[str | None] = [None] * len(tokens)
    for i in candidates.tolist():
        start, end = tokens.starts[i], tokens.ends[i]
        if not any(start < b_end and b_start < end for b_start, b_end in blocked):
            kinds[i] = "PER" if is_per[i] else "ADDR"
    words = tokens.words
    n = len(words)
    for i in range(1, n - 1):  # bridge one separator or particle inside a span ("Rue de la", "St. 74")
        kind = kinds[i - 1]
        if kind is None or kinds[i] is not None or kinds[i + 1] != kind:
            continue
        word = words[i]
        particle = word.islower() and len(word) <= 4 and float((p_per if kind == "PER" else p_addr)[i]) >= 0.1
        same_line = "\n" not in text[tokens.ends[i - 1] : tokens.starts[i + 1]]
        if (word in _BRIDGE[kind] or particle) and (kind == "ADDR" or same_line):
            kinds[i] = kind
    matches: list[Match] = []
    i = 0
    while i < n:
        if kinds[i] is None:
            i += 1
            continue
        j = i + 1
        while j < n and kinds[j] is not None and _continues(text, tokens, probs, kinds, j):
            j += 1
        kind = "PER" if float(p_per[i:j].sum()) >= float(p_addr[i:j].sum()) else "ADDR"
        span = _trim(words, i, j, kind)
        if span is not None:
            span = lexicon.check(text, tokens, span, kind)
        if span is not None and _plausible(words[span[0] : span[1]], kind):
            first, last = span
            entity = p_per if kind == "PER" else p_addr
            scored = [float(entity[k]) for k in range(first, last) if words[k][0].isalnum()] or [
                float(entity[first])
            ]
            matches.append(
                Match(
                    pf.ENTITY_TYPES[kind],
                    tokens.starts[first],
                    tokens.ends[last - 1],
                    sum(scored) / len(scored),
                )
            )
        i = j
    return _join_quoted_lines(text, matches)


_QUOTE_GAP = re.compile(r"[ \t]*\n[\s>|*?\-]*")


def _join_quoted_lines(text: str, matches: list[Match]) -> list[Match]:
    """An address split over quoted lines ("> 12 Main St\n> Springfield") is one address."""
    out: list[Match] = []
    for match in matches:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.type == match.type == "street_address"
            and _QUOTE_GAP.fullmatch(text, previous.end, match.start)
        ):
            length = (previous.end - previous.start) + (match.end - match.start)
            score = (
                previous.score * (previous.end - previous.start) + match.score * (match.end - match.start)
            ) / length
            out[-1] = Match(match.type, previous.start, match.end, score)
        else:
            out.append(match)
    return out


def _continues(
    text: str,
    tokens: pf.Tokens,
    probs: np.ndarray[Any, np.dtype[np.float32]],
    kinds: list[str | None],
    j: int,
) -> bool:
    """Whether token ``j`` continues the span that token ``j - 1`` is in."""
    kind = kinds[j]
    assert kind is not None
    begin, inside = probs[j, _COLUMNS[kind][0]], probs[j, _COLUMNS[kind][1]]
    if kinds[j - 1] == kind:
        return not (begin > inside and begin > 0.5)  # a confident B starts a new entity
    # Another type right after: one entity whose first tokens were mistyped ("Hamilton Grove St"),
    # unless a line break separates them or the model sees a beginning.
    return inside >= begin and "\n" not in text[tokens.ends[j - 1] : tokens.starts[j]]


# Abbreviations whose period belongs to the entity ("Main St.", "John Smith Jr.").
_KEEP_PERIOD = {
    "ADDR": frozenset(
        [
            "st",
            "ave",
            "av",
            "rd",
            "dr",
            "blvd",
            "ln",
            "ct",
            "pl",
            "sq",
            "pkwy",
            "hwy",
            "cir",
            "ter",
            "terr",
            "cres",
            "str",
            "pza",
            "apt",
            "ste",
            "bldg",
            "fl",
            "no",
            "nr",
        ]
    ),
    "PER": frozenset(["jr", "sr"]),
}


def _plausible(words: list[str], kind: str) -> bool:
    """Names have no digits, underscores or code-like inner capitals ("KeyInfo"; "McDonald" is fine);
    an address has an alphabetic word and at least one more token, and is not a date."""
    if kind == "PER":
        return all(_name_like(w) for w in words)
    alnum = [w for w in words if w[0].isalnum()]
    if len(alnum) < 2 or not any(w.isalpha() and len(w) > 1 for w in alnum):
        return False
    return not (alnum[0].lower()[:3] in _MONTHS or alnum[-1].lower()[:3] in _MONTHS) or len(alnum) > 4


_MONTHS = frozenset(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
_NAME_PREFIXES = ("Mc", "Mac", "De", "Di", "Da", "Du", "Le", "La", "Van", "Von", "Fitz", "Al", "El", "O")


def _name_like(word: str) -> bool:
    if "_" in word or any(c.isdigit() for c in word):
        return False
    for part in re.split(r"['\u2019\-]", word):
        inner = [i for i, c in enumerate(part) if c.isupper() and i > 0]
        if inner and not part.isupper() and not any(part[:i] in _NAME_PREFIXES for i in inner):
            return False
    return True


def _trim(words: list[str], first: int, last: int, kind: str) -> tuple[int, int] | None:
    while first < last and not words[first][0].isalnum():
        first += 1
    while last > first and not words[last - 1][0].isalnum():
        previous = words[last - 2].lower() if last - 2 >= first else ""
        if words[last - 1] == "." and previous in _KEEP_PERIOD[kind]:
            break
        last -= 1
    if first >= last:
        return None
    return first, last


# --- what a name or an address is not ------------------------------------------------------------------


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
