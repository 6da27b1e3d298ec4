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

Word-level attributes are cached per distinct token string, with what each window feature needs of
one word alone (the final id of a one-word feature, the first mix of a conjunction); the rest of the
window features is computed for the whole text at once with numpy (uint64 mixing), so the cost per
token is a dictionary look-up and a few gathers. ``Featurizer(vocabulary, gazetteer)`` holds the
vocabulary, the gazetteer and that cache.
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
_BUCKET_MOD = _U64(BUCKETS - 1)

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
_LAYOUT_VALUES = 4  # a layout column holds 0..3 (a gap kind) or 0/1

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


def _mix(h: U64Array, column: U64Array | np.uint64) -> U64Array:
    h = (h ^ column) * _MUL
    return h ^ (h >> _SHIFT_29)


def _finish(h: U64Array) -> U64Array:
    """A window feature's id from its mixed inputs: missing inputs mix in as 0, then the bucket."""
    h = h * _MUL2
    h ^= h >> _SHIFT_32
    # h % (BUCKETS - 1) + 1; numpy divides by a constant faster than it takes the remainder
    return h - h // _BUCKET_MOD * _BUCKET_MOD + _U64(1)


# A window feature is ``_finish(mix(mix(mix(template, x1), x2), x3))`` over its inputs at each
# token. Most inputs are attributes of one word, so what depends on one word alone is computed
# once per distinct word and kept in the cache; only what mixes several positions is per text.
#
# - word features (one input, a word attribute): the final id, per word;
# - staged features (two or three inputs, the later ones word attributes): the first mix, per
#   word (or per layout value), then the other mixes per text;
# - layout features (one input, a layout value): the final id, per layout value.
def _is_word(column: int) -> bool:
    return column < _ATTRS


_WORD = [s for s, (_, inputs) in enumerate(_SPECS) if len(inputs) == 1 and _is_word(inputs[0][0])]
_LAYOUT = [s for s, (_, inputs) in enumerate(_SPECS) if len(inputs) == 1 and not _is_word(inputs[0][0])]
_STAGED = [s for s, (_, inputs) in enumerate(_SPECS) if len(inputs) > 1]
assert all(_is_word(c) for s in _STAGED for c, _ in _SPECS[s][1][1:]), "only a first input may be layout"
_STAGED_BY_WORD = [s for s in _STAGED if _is_word(_SPECS[s][1][0][0])]
_STAGED_BY_LAYOUT = [s for s in _STAGED if not _is_word(_SPECS[s][1][0][0])]


def _inputs(specs: list[int], i: int) -> tuple[IndexArray, IndexArray]:
    """Columns and offsets of the ``i``-th inputs of ``specs`` (a missing input: ``_ZERO`` at 0)."""
    inputs = [_SPECS[s][1][i] if i < len(_SPECS[s][1]) else (_ZERO, 0) for s in specs]
    return np.array([c for c, _ in inputs], dtype=np.int64), np.array([o for _, o in inputs], dtype=np.int64)


# Columns of the per-word hash cache: the attributes, a zero (missing inputs), the first mix of
# each staged feature whose first input is a word attribute.
_H_ZERO = _ATTRS
_H_STAGE = _ATTRS + 1
_HASH_COLUMNS = _H_STAGE + len(_STAGED_BY_WORD)
# Columns of the per-word id cache: the word-level ids, the ids of the word features, whether
# the word ends a sentence.
_I_WORD = WORD_SLOTS
_I_SENTENCE_END = WORD_SLOTS + len(_WORD)
_ID_COLUMNS = _I_SENTENCE_END + 1

_WORD_ATTR, _WORD_OFFSET = _inputs(_WORD, 0)
_WORD_ID_COLUMN = np.arange(_I_WORD, _I_SENTENCE_END, dtype=np.int64)
_STAGE_ATTR, _STAGE_WORD_OFFSET = _inputs(_STAGED_BY_WORD, 0)
_LAYOUT_FIRST, _ = _inputs(_STAGED_BY_LAYOUT, 0)
_STAGED_ORDER = [*_STAGED_BY_WORD, *_STAGED_BY_LAYOUT]  # columns of the per-text staged block
# Later inputs of the staged block read the hash cache: a word attribute, or the zero column.
_LATER = [_inputs(_STAGED_ORDER, i) for i in (1, 2)]
_LATER_COLUMNS = [np.where(columns == _ZERO, _H_ZERO, columns) for columns, _ in _LATER]
_LATER_OFFSETS = [offsets for _, offsets in _LATER]


def _layout_table(specs: list[int], *, finish: bool) -> U64Array:
    """``[len(specs), _LAYOUT_VALUES]``: each spec's first mix (or final id) for each layout value."""
    values = np.arange(_LAYOUT_VALUES, dtype=np.uint64)[None, :]
    h = _mix(_TEMPLATE_IDS[specs][:, None], values)
    return _finish(_mix(_mix(h, _U64(0)), _U64(0))) if finish else h


_LAYOUT_IDS = _layout_table(_LAYOUT, finish=True)
_LAYOUT_COLUMN, _ = _inputs(_LAYOUT, 0)
_LAYOUT_STAGE = _layout_table(_STAGED_BY_LAYOUT, finish=False)
_LAYOUT_ROWS = np.arange(len(_LAYOUT), dtype=np.int64)
_LAYOUT_STAGE_ROWS = np.arange(len(_STAGED_BY_LAYOUT), dtype=np.int64)

# Flat offsets into a text's cache rows (``rows * columns + column``) of each gathered input.
_OWN_FLAT = np.arange(WORD_SLOTS, dtype=np.int64)
_WORD_FLAT = _WORD_OFFSET * _ID_COLUMNS + _WORD_ID_COLUMN
_PREVIOUS_ENDS_FLAT = -_ID_COLUMNS + _I_SENTENCE_END
_STAGE_FLAT = _STAGE_WORD_OFFSET * _HASH_COLUMNS + np.arange(_H_STAGE, _HASH_COLUMNS, dtype=np.int64)
_LATER_FLAT = [o * _HASH_COLUMNS + c for c, o in zip(_LATER_COLUMNS, _LATER_OFFSETS, strict=True)]

# Rows 0 and 1 of the caches: the positions before the first and after the last token.
_BOS_ROW, _EOS_ROW = 0, 1
_SENTINELS = 2


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
        self._index: dict[str, int] = {}  # word -> row of the caches
        rows = _SENTINELS + min(cache_size, 1022)
        self._hashes = np.zeros((rows, _HASH_COLUMNS), dtype=np.uint64)
        self._ids = np.zeros((rows, _ID_COLUMNS), dtype=np.int32)  # ids < BUCKETS
        sentinels = np.zeros((_SENTINELS, _ATTRS + WORD_SLOTS), dtype=np.uint64)
        sentinels[_BOS_ROW, :_ATTRS] = _BOS
        sentinels[_EOS_ROW, :_ATTRS] = _EOS
        self._fill(_BOS_ROW, sentinels)

    def _fill(self, first: int, rows: U64Array) -> None:
        """Cache rows ``first..`` from ``_word_row`` values (attributes, then word-level ids)."""
        end = first + len(rows)
        if end > len(self._hashes):
            size = max(end, min(2 * len(self._hashes), _SENTINELS + self._cache_size))
            self._hashes = np.resize(self._hashes, (size, _HASH_COLUMNS))
            self._ids = np.resize(self._ids, (size, _ID_COLUMNS))
        attrs = rows[:, :_ATTRS]
        hashes = self._hashes[first:end]
        hashes[:, :_ATTRS] = attrs
        hashes[:, _H_ZERO] = 0
        hashes[:, _H_STAGE:] = _mix(_TEMPLATE_IDS[_STAGED_BY_WORD], attrs[:, _STAGE_ATTR])
        ids = self._ids[first:end]
        ids[:, :WORD_SLOTS] = rows[:, _ATTRS:]
        word = _mix(_TEMPLATE_IDS[_WORD], attrs[:, _WORD_ATTR])
        ids[:, _I_WORD:_I_SENTENCE_END] = _finish(_mix(_mix(word, _U64(0)), _U64(0)))
        ids[:, _I_SENTENCE_END] = (attrs[:, _PUNCT, None] == _SENTENCE_END).any(axis=1)

    def _row_ids(self, words: list[str]) -> IndexArray:
        index = self._index
        if len(index) + len(words) > self._cache_size:
            index.clear()  # rows are recomputed as words come back
        found: list[int | None] = list(map(index.get, words))
        if None in found:
            first = _SENTINELS + len(index)
            new: list[tuple[int, ...]] = []
            for i, cached in enumerate(found):
                if cached is None:
                    word = words[i]
                    row = index.get(word)  # a new word seen earlier in this text
                    if row is None:
                        row = index[word] = first + len(new)
                        new.append(_word_row(word, self.vocabulary, self.gazetteer))
                    found[i] = row
            self._fill(first, np.array(new, dtype=np.uint64))
        return np.array(found, dtype=np.int64)

    def featurize(self, text: str, tokens: Tokens) -> IndexArray:
        """Feature ids, shape ``[len(tokens), FEATURES_PER_TOKEN]`` (int64, 0 = padding)."""
        n = len(tokens)
        if n == 0:
            return np.zeros((0, FEATURES_PER_TOKEN), dtype=np.int64)
        rows = np.empty(n + 2 * _PAD, dtype=np.int64)  # cache row of each position, padded
        rows[:_PAD] = _BOS_ROW
        rows[_PAD : _PAD + n] = self._row_ids(tokens.words)  # may grow the caches
        rows[_PAD + n :] = _EOS_ROW
        # The text's cache rows, then flat gathers of (position + offset, column) from them.
        ids = self._ids[rows].ravel()
        hashes = self._hashes[rows].ravel()
        positions = np.arange(_PAD, _PAD + n, dtype=np.int64)[:, None]
        at_ids = positions * _ID_COLUMNS
        at_hashes = positions * _HASH_COLUMNS

        out = np.empty((n, FEATURES_PER_TOKEN), dtype=np.int64)
        out[:, :WORD_SLOTS] = ids.take(at_ids + _OWN_FLAT)
        context = out[:, WORD_SLOTS:]
        context[:, _WORD] = ids.take(at_ids + _WORD_FLAT)

        gaps = _gaps(text, tokens)
        line_start = gaps[:n] >= 2
        layout = np.empty((_ZERO - _GAP + 1, n), dtype=np.int64)  # values of the layout columns
        layout[_GAP - _GAP] = gaps[:n]
        layout[_NEXT_GAP - _GAP] = gaps[1:]
        layout[_LINE_START - _GAP] = line_start
        layout[_SENT_START - _GAP] = ids.take(at_ids[:, 0] + _PREVIOUS_ENDS_FLAT).astype(bool) | line_start
        layout[_ZERO - _GAP] = 0
        context[:, _LAYOUT] = _LAYOUT_IDS[_LAYOUT_ROWS, layout[_LAYOUT_COLUMN - _GAP].T]

        h = np.empty((n, len(_STAGED_ORDER)), dtype=np.uint64)
        split = len(_STAGED_BY_WORD)
        h[:, :split] = hashes.take(at_hashes + _STAGE_FLAT)
        h[:, split:] = _LAYOUT_STAGE[_LAYOUT_STAGE_ROWS, layout[_LAYOUT_FIRST - _GAP].T]
        for later in _LATER_FLAT:
            h = _mix(h, hashes.take(at_hashes + later))
        context[:, _STAGED_ORDER] = _finish(h)
        return out


def _gaps(text: str, tokens: Tokens) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """What precedes each token (and follows the last): 0 nothing, 1 spaces, 2 a newline, 3 more."""
    n = len(tokens)
    starts = np.fromiter(tokens.starts, dtype=np.int64, count=n)
    ends = np.fromiter(tokens.ends, dtype=np.int64, count=n)
    gaps = np.full(n + 1, 2, dtype=np.uint64)  # the text's start and end count as line breaks
    if n > 1:
        newlines = _newlines(text)
        count = np.searchsorted(newlines, starts[1:]) - np.searchsorted(newlines, ends[:-1])
        kind = np.where(count >= 2, 3, np.where(count == 1, 2, 1))
        kind[starts[1:] == ends[:-1]] = 0
        gaps[1:n] = kind
    return gaps


_NEWLINE = re.compile(r"\n")


def _newlines(text: str) -> IndexArray:
    """Offsets of the text's line feeds."""
    if "\n" not in text:
        return np.zeros(0, dtype=np.int64)
    if text.isascii():  # byte offsets are character offsets
        return np.flatnonzero(np.frombuffer(text.encode("ascii"), dtype=np.uint8) == _LINE_FEED)
    return np.array([m.start() for m in _NEWLINE.finditer(text)], dtype=np.int64)


_LINE_FEED = ord("\n")
