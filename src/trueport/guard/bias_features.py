"""From text to what the bias model sees: group mentions, sentences, masked text and rule features.

``analyse(text)`` finds the group mentions and slurs of a text (see ``bias_lexicon``), cuts the text
into sentences, and keeps only the sentences that mention a group. In each kept sentence every
mention is replaced by the token ``grp``: the model then learns how people talk *about* a group, not
which group, so it scores "grp are lazy" the same whatever the group is, and the tens of group
words need no training examples each. The model's inputs are the masked sentence's word tokens,
its characters and a short vector of rule features (``rule_features``).

Training (``training/bias``) imports this module, so training and serving see identical features.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from trueport.guard import bias_lexicon as lex
from trueport.guard.bias_slurs import MAX_SLUR_WORDS, SLUR_FIRST_WORDS, SLURS

MAX_SCAN_CHARS = 100_000  # only the first 100,000 characters of a text are scanned
MAX_SEGMENT_CHARS = 400  # a longer sentence is cut at whitespace
MAX_MODEL_CHARS = 600  # characters of a masked sentence the model sees
MASK = "grp"

_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")
_BOUNDARY = re.compile(r"(?<=[.!?;])\s+|\s*\n\s*")
_SPACES = re.compile(r"\s+")
_MODEL_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
_PUNCTUATION = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "`": "'"})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_SLUR_KEY = b"trueport-bias-slurs-v1"


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    category: str


@dataclass(frozen=True, slots=True)
class SlurMatch:
    start: int
    end: int
    category: str
    score: float


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence that mentions a group, with the text the model reads."""

    start: int
    end: int
    masked: str  # lower case, mentions replaced by "grp", whitespace collapsed
    categories: frozenset[str]


@dataclass(frozen=True, slots=True)
class Analysis:
    segments: tuple[Segment, ...]
    slurs: tuple[SlurMatch, ...]


def slur_digest(term: str) -> str:
    """The keyed digest a slur lexicon entry is stored under (words joined by one space)."""
    return hashlib.blake2b(term.encode(), digest_size=8, key=_SLUR_KEY).hexdigest()


@lru_cache(maxsize=1 << 16)
def _slur(term: str) -> tuple[str, float] | None:
    hit = SLURS.get(slur_digest(term))
    if hit is None and not term.isalpha():
        folded = term.translate(_LEET)
        if folded != term:
            hit = SLURS.get(slur_digest(folded))
    return hit


@lru_cache(maxsize=1 << 16)
def _may_start_slur(word: str) -> bool:
    """Whether a word is a slur, or the first word of a multi-word one (leetspeak folded)."""
    candidates = {word, word.translate(_LEET)}
    return any(SLURS.get(d) is not None or d in SLUR_FIRST_WORDS for d in map(slur_digest, candidates))


Token = tuple[str, int, int]  # lower-cased word, start, end


def lower(text: str) -> str:
    """Lower case with offsets kept (the few characters whose lower case is longer stay as they are)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.replace("\u2019", "'")


def tokenize(lowered: str) -> list[Token]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(lowered)]


def find_slurs(tokens: Sequence[Token]) -> list[SlurMatch]:
    found: list[SlurMatch] = []
    i, n = 0, len(tokens)
    while i < n:
        if _may_start_slur(tokens[i][0]):
            for k in range(min(MAX_SLUR_WORDS, n - i), 0, -1):
                term = tokens[i][0] if k == 1 else " ".join(t[0] for t in tokens[i : i + k])
                hit = _slur(term)
                if hit is not None:
                    found.append(SlurMatch(tokens[i][1], tokens[i + k - 1][2], hit[0], hit[1]))
                    i += k - 1
                    break
        i += 1
    return found


def find_mentions(tokens: Sequence[Token]) -> list[Mention]:
    """Group mentions, longest match first, left to right."""
    found: list[Mention] = []
    words = [t[0] for t in tokens]
    i, n = 0, len(words)
    while i < n:
        span = _mention_at(words, i) if words[i] in lex.TRIGGERS else None
        if span is None:
            i += 1
            continue
        length, category = span
        found.append(Mention(tokens[i][1], tokens[i + length - 1][2], category))
        i += length
    return found


def _mention_at(words: Sequence[str], i: int) -> tuple[int, str] | None:
    n = len(words)
    word = words[i]
    longest = lex.MULTIWORD_FIRST.get(word, 0)
    for k in range(min(longest, n - i), 1, -1):
        category = lex.GROUP_NOUNS.get(tuple(words[i : i + k]))
        if category is not None:
            return _with_person_noun(words, i, k), category
    category = lex.GROUP_NOUNS.get((word,))
    if category is not None:
        return _with_person_noun(words, i, 1), category
    following = words[i + 1] if i + 1 < n else ""
    if word in lex.AGE_WORDS and lex.is_age_number(following):
        return 2, lex.AGE
    if word in lex.AGE_COMPARATIVES and following == "than" and i + 2 < n and lex.is_age_number(words[i + 2]):
        return 3, lex.AGE
    category = lex.GROUP_ADJECTIVES.get(word)
    if category is None:
        return None
    if following in lex.PERSON_NOUNS:
        if i + 2 < n and words[i + 2] in lex.NOT_PEOPLE_AFTER:
            return None  # "old worker processes"
        return 2, category
    if word not in lex.WEAK_ADJECTIVES:
        return 1, category
    previous = words[i - 1] if i > 0 else ""
    if previous == "who's" or (i > 1 and (words[i - 2], previous) in lex.RELATIVE_COPULAS):
        return 1, category  # "applicants who are black"
    if (
        previous in ("a", "an")
        and word not in lex.NOT_SINGULAR
        and (following in lex.AFTER_SINGULAR_NOUN or not following)
    ):
        return 1, category  # "a German is", "an Indian in my class"
    if previous in lex.DETERMINERS and following in lex.PLURAL_PREDICATES:
        return 1, category  # "the old are"
    if word not in lex.COLOUR_ADJECTIVES and (
        following in lex.PLURAL_PREDICATES or (previous in lex.DETERMINERS and not following)
    ):
        return 1, category  # "chinese are", "all the french"
    return None


def _with_person_noun(words: Sequence[str], i: int, k: int) -> int:
    """Extend a noun mention over a following person noun ("gay people", "non binary folks")."""
    if i + k < len(words) and words[i + k] in lex.PERSON_NOUNS:
        return k + 1
    return k


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (a sentence over ``MAX_SEGMENT_CHARS`` is cut at whitespace)."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _BOUNDARY.finditer(text):
        if match.start() > position:
            spans.extend(_split_long(text, position, match.start()))
        position = match.end()
    if position < len(text):
        spans.extend(_split_long(text, position, len(text)))
    return spans


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > MAX_SEGMENT_CHARS:
        cut = text.rfind(" ", start + MAX_SEGMENT_CHARS // 2, start + MAX_SEGMENT_CHARS)
        cut = cut if cut > start else start + MAX_SEGMENT_CHARS
        pieces.append((start, cut))
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    pieces.append((start, end))
    return pieces


def analyse(text: str) -> Analysis:
    """The sentences of ``text`` that mention a group (masked), and its slurs."""
    text = text[:MAX_SCAN_CHARS]
    lowered = lower(text)
    words = set(_TOKEN.findall(lowered))
    if words.isdisjoint(lex.TRIGGERS) and not any(map(_may_start_slur, words)):
        return _NOTHING
    tokens = tokenize(lowered)
    slurs = find_slurs(tokens)
    mentions = find_mentions(tokens)
    if not mentions and not slurs:
        return _NOTHING
    marks = sorted(
        [(m.start, m.end, m.category) for m in mentions] + [(s.start, s.end, s.category) for s in slurs]
    )
    segments: list[Segment] = []
    k = 0
    for start, end in sentences(text):
        while k < len(marks) and marks[k][1] <= start:
            k += 1
        inside = []
        j = k
        while j < len(marks) and marks[j][0] < end:
            if marks[j][1] <= end:
                inside.append(marks[j])
            j += 1
        if inside:
            segments.append(
                Segment(start, end, mask(text, start, end, inside), frozenset(c for *_, c in inside))
            )
    return Analysis(tuple(segments), tuple(slurs))


_NOTHING = Analysis((), ())


def mask(text: str, start: int, end: int, marks: Sequence[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    position = start
    for mark_start, mark_end, _ in marks:
        if mark_start < position:
            continue
        parts.append(text[position:mark_start])
        parts.append(MASK)
        position = mark_end
    parts.append(text[position:end])
    return normalize("".join(parts))


def normalize(text: str) -> str:
    """Lower case, typographic quotes folded, whitespace collapsed (what the model reads)."""
    return _SPACES.sub(" ", text.translate(_PUNCTUATION).lower()).strip()


def model_words(masked: str) -> list[str]:
    return _MODEL_WORD.findall(masked[:MAX_MODEL_CHARS])


def model_chars(masked: str) -> str:
    """The characters the model reads (one n-gram token per character), space-padded."""
    return " " + masked[:MAX_MODEL_CHARS] + " "


# --- rule features ---------------------------------------------------------------------------

NEAR_TOKENS = 10  # a cue counts for a mention when it starts within this many tokens of it

_CUE_SETS = (
    lex.NEG_ATTRIBUTES,
    lex.GENERALISERS,
    lex.DEHUMANISING,
    lex.EXCLUSION,
    lex.VIOLENCE,
    lex.META,
    lex.NEGATION,
    lex.REPORTED,
    lex.INCLUSIVE,
    lex.EVIDENCE,
    lex.HISTORY,
)
_NEG, _GEN, _DEHUM, _EXCL, _VIOL, _META, _NEGATION, _REPORTED, _INCL, _EVIDENCE, _HISTORY = (
    1 << i for i in range(len(_CUE_SETS))
)


def _cue_index() -> dict[str, tuple[tuple[tuple[str, ...], int], ...]]:
    """First token -> (phrase tokens, category bits), longest phrases first."""
    bits: dict[tuple[str, ...], int] = {}
    for i, phrases in enumerate(_CUE_SETS):
        for phrase in phrases:
            key = tuple(_MODEL_WORD.findall(phrase))
            bits[key] = bits.get(key, 0) | (1 << i)
    index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for key, value in bits.items():
        index.setdefault(key[0], []).append((key, value))
    return {k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in index.items()}


_CUES = _cue_index()

RULE_NAMES = (
    "group_subject",
    "generaliser",
    "negative_attribute_near",
    "dehumanising_near",
    "exclusion_near",
    "violence_near",
    "meta",
    "negation",
    "reported",
    "inclusive",
    "evidence",
    "history",
    "request",
    "imperative",
    "question",
    "quoted",
    "subject_and_negative",
    "subject_and_dehumanising",
    "generaliser_and_negative",
    "any_distancing",
)


def rule_features(masked: str, words: Sequence[str] | None = None) -> list[float]:
    """The rule layer: cue phrases in a masked sentence, as 0/1 features for the model."""
    if words is None:
        words = model_words(masked)
    n = len(words)
    groups = [i for i, w in enumerate(words) if w == MASK]
    found = near = 0
    subject = False
    for i, word in enumerate(words):
        entries = _CUES.get(word)
        if entries is not None:
            for phrase, bits in entries:
                if len(phrase) == 1 or tuple(words[i : i + len(phrase)]) == phrase:
                    found |= bits
                    if any(abs(i - g) <= NEAR_TOKENS for g in groups):
                        near |= bits
        elif word.isdigit():
            found |= _EVIDENCE
            if len(word) == 4 and "1500" <= word <= "2099":
                found |= _HISTORY
        elif word[:1].isdigit() and word.endswith("s") and word[:-1].isdigit():
            found |= _HISTORY  # "1960s"
        if word == MASK and i + 1 < n and words[i + 1] in lex.SUBJECT_VERBS:
            subject = True
    first = 0
    while first < n and first < 3 and words[first] in lex.LEADING_FILLERS:
        first += 1
    lead = words[first] if first < n else ""
    negative = bool(near & _NEG)
    dehumanising = bool(near & _DEHUM)
    generaliser = bool(found & _GEN)
    question = "?" in words or (n > 0 and words[0] in lex.QUESTION_WORDS)
    distancing = bool(found & (_META | _NEGATION | _REPORTED)) or question
    values = (
        subject,
        generaliser,
        negative,
        dehumanising,
        bool(near & _EXCL),
        bool(near & _VIOL),
        bool(found & _META),
        bool(found & _NEGATION),
        bool(found & _REPORTED),
        bool(found & _INCL),
        bool(found & _EVIDENCE),
        bool(found & _HISTORY),
        lead in lex.REQUEST_VERBS,
        lead in lex.IMPERATIVE_VERBS,
        question,
        '"' in words or "'" in words,
        subject and negative,
        subject and dehumanising,
        generaliser and negative,
        distancing,
    )
    return [1.0 if v else 0.0 for v in values]
