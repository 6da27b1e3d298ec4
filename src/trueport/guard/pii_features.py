"""Tokens and hashed features of the person/address tagger (``pii_ner``), shared with training.

The tagger is a per-token linear model over binary features, so its input is, for each token, the
ids of the features that are on (``FEATURES_PER_TOKEN`` of them, 0 = padding, whose weight row is
zero). ``training/pii/train.py`` imports this module: training and serving compute identical ids.

Features of a token (the model has to generalise to unseen names, so a list is one cue among many):

- the token itself: lower-cased form, prefixes and suffixes of 1-4 characters, character
  trigrams, word shape ("Xx",
  "X.", "dd-dd", "xXx"), length, non-ASCII letters, hyphen, apostrophe, and whether it is a common
  word: in the model's vocabulary (``vocab.txt`` beside it: words seen mostly in lower case in
  the training corpora, so common nouns and verbs but not proper nouns) -- an unseen capitalised
  word after "said" or "Dear" is a name, a known one ("Wisdom") usually is not; and its classes
  in the gazetteer (``gazetteer.txt`` beside the model: given name, surname, place, organisation,
  nationality/religion, title, month), crossed with capitalisation and vocabulary status;
- its neighbours: lower-cased words at -3..+3, shapes and capitalisation at -2..+2, suffixes at +-1;
- conjunctions: previous word x own capitalisation, the two words before, the two words after,
  the words on both sides, capitalisation and vocabulary pattern of the three-token window,
  previous and next word x own capitalisation and vocabulary status, previous and next shape;
- gazetteer classes of the words at -2..+2, of the three-token window, and the previous/next word
  crossed with the token's classes ("Chancellor X", "X Inc", "in X");
- layout: what separates it from the previous token (nothing, spaces, a newline, a blank line),
  start of line and start of sentence, crossed with its capitalisation.

Word-level attributes are cached per distinct token string; the window features are computed for
the whole text at once with numpy (uint64 mixing), so the cost per token is a dictionary look-up.
``Featurizer(vocabulary, gazetteer)`` holds the vocabulary, the gazetteer and that cache.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

BUCKETS = 1 << 18  # rows of the weight matrix; row 0 is padding
WORD_SLOTS = 28  # word-level features per token (padded with 0)
LABELS = ("O", "B-PER", "I-PER", "B-ADDR", "I-ADDR")
ENTITY_TYPES = {"PER": "person", "ADDR": "street_address"}

TOKEN = re.compile(r"\w+(?:['\u2019\-](?![sS]\b)\w+)*|[^\w\s]")

_U64 = np.uint64
_MUL = _U64(0x9E3779B97F4A7C15)
_MUL2 = _U64(0xC2B2AE3D27D4EB4F)
_SHIFT_29 = _U64(29)
_SHIFT_32 = _U64(32)

U64Array = np.ndarray[Any, np.dtype[np.uint64]]
IndexArray = np.ndarray[Any, np.dtype[np.int64]]

# Attribute columns of the per-word cache (then WORD_SLOTS word-level feature ids).
_LW, _SHAPE, _CAP, _SUF3, _PUNCT, _VOCAB, _GAZ = range(7)
_ATTRS = 7


@dataclass(frozen=True, slots=True)
class Tokens:
    """Tokens of one text: their strings and character offsets."""

    words: list[str]
    starts: list[int]
    ends: list[int]

    def __len__(self) -> int:
        return len(self.words)


def tokenize(text: str) -> Tokens:
    matches = list(TOKEN.finditer(text))
    return Tokens([m.group() for m in matches], [m.start() for m in matches], [m.end() for m in matches])


def _h(value: str) -> int:
    return zlib.crc32(value.encode("utf-8", "surrogatepass"))


def word_shape(word: str) -> str:
    """Character classes with runs cut at two: "Smith" -> "Xxx", "2B" -> "dX", "O'Neil" -> "X'Xxx"."""
    out: list[str] = []
    for char in word:
        if char.isupper():
            kind = "X"
        elif char.islower():
            kind = "x"
        elif char.isdigit():
            kind = "d"
        else:
            kind = char
        if len(out) < 2 or out[-1] != kind or out[-2] != kind:
            out.append(kind)
    return "".join(out)


def capitalisation(word: str) -> str:
    if word.isdigit():
        return "digit"
    if not any(c.isalnum() for c in word):
        return "punct"
    if word.islower():
        return "lower"
    if word.isupper():
        return "upper" if len(word) > 1 else "title"
    if word[0].isupper() and (len(word) == 1 or word[1:].islower() or not word[1:].isalpha()):
        return "title"
    if any(c.isalpha() for c in word):
        return "mixed"
    return "other"


def _word_row(word: str, vocabulary: frozenset[str], gazetteer: Mapping[str, str]) -> tuple[int, ...]:
    lw = word.lower()
    shape = word_shape(word)
    cap = capitalisation(word)
    alphabetic = any(c.isalpha() for c in word)
    known = "iv" if lw in vocabulary else ("oov" if alphabetic else "na")
    feats = [
        "w=" + lw,
        "shape=" + shape,
        "cap_len=" + cap + str(min(len(word), 6)),
        "vocab=" + known + "|" + cap,
    ]
    gaz = gazetteer.get(lw, "-")
    feats.append("gaz=" + gaz + "|" + cap)
    feats.append("gaz_vocab=" + gaz + "|" + known)
    for k in range(1, 5):
        if len(lw) > k:
            feats.append(f"p{k}=" + lw[:k])
            feats.append(f"s{k}=" + lw[-k:])
    if not word.isascii() and alphabetic:
        feats.append("nonascii")
    if "-" in word or "'" in word or "\u2019" in word:
        feats.append("inner_punct=" + cap)
    if alphabetic and len(lw) > 3:
        marked = "^" + lw + "$"
        feats.extend("c3=" + marked[i : i + 3] for i in range(min(len(marked) - 2, WORD_SLOTS - len(feats))))
    row = [_h(f) % (BUCKETS - 1) + 1 for f in feats[:WORD_SLOTS]]
    row.extend([0] * (WORD_SLOTS - len(row)))
    suffix3 = lw[-3:] if len(lw) > 3 else lw
    punct = word if cap == "punct" else ""
    return (_h(lw), _h(shape), _h(cap), _h(suffix3), _h(punct), _h(known + cap), _h(gaz + cap), *row)


# Sentinel attribute values for positions before the first / after the last token.
_BOS = _h("<s>")
_EOS = _h("</s>")
_PAD = 3
_SENTENCE_END = np.array([_h("."), _h("!"), _h("?"), _h(":")], dtype=np.uint64)

# Per-token columns computed from the layout, after the word attributes.
_GAP, _NEXT_GAP, _LINE_START, _SENT_START, _ZERO = range(_ATTRS, _ATTRS + 5)
_COLUMNS = _ATTRS + 5

# Window features: name -> up to three (column, offset) inputs. Their order and names are part of
# the model's identity (a change needs retraining).
_SPECS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    *((f"lw{k}", ((_LW, k),)) for k in (-3, -2, -1, 1, 2, 3)),
    *((f"shape{k}", ((_SHAPE, k),)) for k in (-2, -1, 1, 2)),
    *((f"cap{k}", ((_CAP, k),)) for k in (-2, -1, 1, 2)),
    *((f"vocab{k}", ((_VOCAB, k),)) for k in (-2, -1, 1, 2)),
    ("suf-1", ((_SUF3, -1),)),
    ("suf1", ((_SUF3, 1),)),
    ("prev_w_cap", ((_LW, -1), (_CAP, 0))),
    ("prev2_w", ((_LW, -2), (_LW, -1))),
    ("next2_w", ((_LW, 1), (_LW, 2))),
    ("around_w", ((_LW, -1), (_LW, 1))),
    ("cap3", ((_CAP, -1), (_CAP, 0), (_CAP, 1))),
    ("vocab3", ((_VOCAB, -1), (_VOCAB, 0), (_VOCAB, 1))),
    ("prev_w_vocab", ((_LW, -1), (_VOCAB, 0))),
    ("next_w_vocab", ((_LW, 1), (_VOCAB, 0))),
    ("prev_shape", ((_SHAPE, -1), (_SHAPE, 0))),
    ("next_shape", ((_SHAPE, 0), (_SHAPE, 1))),
    ("gap", ((_GAP, 0),)),
    ("gap_cap", ((_GAP, 0), (_CAP, 0))),
    ("next_gap", ((_NEXT_GAP, 0),)),
    ("line_start_cap", ((_LINE_START, 0), (_CAP, 0))),
    ("sent_start_vocab", ((_SENT_START, 0), (_VOCAB, 0))),
    ("bias", ((_ZERO, 0),)),
    ("punct_around", ((_PUNCT, -1), (_PUNCT, 1))),
    *((f"gaz{k}", ((_GAZ, k),)) for k in (-2, -1, 1, 2)),
    ("gaz3", ((_GAZ, -1), (_GAZ, 0), (_GAZ, 1))),
    ("prev_w_gaz", ((_LW, -1), (_GAZ, 0))),
    ("next_w_gaz", ((_LW, 1), (_GAZ, 0))),
)
CONTEXT_SLOTS = len(_SPECS)
FEATURES_PER_TOKEN = WORD_SLOTS + CONTEXT_SLOTS
_TEMPLATE_IDS = np.array([(_h("template:" + name) << 8) | 1 for name, _ in _SPECS], dtype=np.uint64)
# Inputs as [3, CONTEXT_SLOTS] arrays of columns and offsets; a missing input reads _ZERO.
_INPUT_COLUMNS = np.array(
    [[inputs[i][0] if i < len(inputs) else _ZERO for _, inputs in _SPECS] for i in range(3)], dtype=np.int64
)
_INPUT_OFFSETS = np.array(
    [[inputs[i][1] if i < len(inputs) else 0 for _, inputs in _SPECS] for i in range(3)], dtype=np.int64
)


def _mix(h: U64Array, column: U64Array) -> U64Array:
    h = (h ^ column) * _MUL
    return h ^ (h >> _SHIFT_29)


class Featurizer:
    """Feature ids of tokens, with the model's vocabulary and a per-word cache."""

    def __init__(
        self,
        vocabulary: frozenset[str],
        gazetteer: Mapping[str, str] | None = None,
        *,
        cache_size: int = 100_000,
    ) -> None:
        self.vocabulary = vocabulary
        self.gazetteer: Mapping[str, str] = gazetteer or {}
        self._cache_size = cache_size
        self._index: dict[str, int] = {}
        self._rows = np.zeros((1024, _ATTRS + WORD_SLOTS), dtype=np.uint64)

    def _row_ids(self, words: list[str]) -> list[int]:
        index = self._index
        if len(index) + len(words) > self._cache_size:
            index.clear()  # rows are recomputed as words come back
        ids = []
        for word in words:
            k = index.get(word)
            if k is None:
                k = len(index)
                if k >= len(self._rows):
                    self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
                self._rows[k] = _word_row(word, self.vocabulary, self.gazetteer)
                index[word] = k
            ids.append(k)
        return ids

    def featurize(self, text: str, tokens: Tokens) -> IndexArray:
        """Feature ids, shape ``[len(tokens), FEATURES_PER_TOKEN]`` (int64, 0 = padding)."""
        n = len(tokens)
        if n == 0:
            return np.zeros((0, FEATURES_PER_TOKEN), dtype=np.int64)
        ids = self._row_ids(tokens.words)  # may grow self._rows
        table = self._rows[ids]
        columns = np.zeros((n + 2 * _PAD, _COLUMNS), dtype=np.uint64)
        columns[:_PAD, :_ATTRS] = _BOS
        columns[_PAD + n :, :_ATTRS] = _EOS
        body = columns[_PAD : _PAD + n]
        body[:, :_ATTRS] = table[:, :_ATTRS]
        gaps = _gaps(text, tokens)
        body[:, _GAP] = gaps[:n]
        body[:, _NEXT_GAP] = gaps[1:]
        line_start = gaps[:n] >= 2
        body[:, _LINE_START] = line_start
        previous = columns[_PAD - 1 : _PAD - 1 + n, _PUNCT]
        body[:, _SENT_START] = np.isin(previous, _SENTENCE_END) | line_start
        rows = np.arange(_PAD, _PAD + n, dtype=np.int64)[:, None]
        h = np.broadcast_to(_TEMPLATE_IDS, (n, CONTEXT_SLOTS))
        for i in range(3):
            h = _mix(h, columns[rows + _INPUT_OFFSETS[i], _INPUT_COLUMNS[i]])
        h = h * _MUL2
        h ^= h >> _SHIFT_32
        out = np.empty((n, FEATURES_PER_TOKEN), dtype=np.int64)
        out[:, :WORD_SLOTS] = table[:, _ATTRS:]
        out[:, WORD_SLOTS:] = h % _U64(BUCKETS - 1) + _U64(1)
        return out


def _gaps(text: str, tokens: Tokens) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """What precedes each token (and follows the last): 0 nothing, 1 spaces, 2 a newline, 3 more."""
    n = len(tokens)
    starts = np.fromiter(tokens.starts, dtype=np.int64, count=n)
    ends = np.fromiter(tokens.ends, dtype=np.int64, count=n)
    gaps = np.full(n + 1, 2, dtype=np.uint64)  # the text's start and end count as line breaks
    if n > 1:
        newlines = np.array([m.start() for m in _NEWLINE.finditer(text)], dtype=np.int64)
        count = np.searchsorted(newlines, starts[1:]) - np.searchsorted(newlines, ends[:-1])
        kind = np.where(count >= 2, 3, np.where(count == 1, 2, 1))
        kind[starts[1:] == ends[:-1]] = 0
        gaps[1:n] = kind
    return gaps


_NEWLINE = re.compile(r"\n")
