"""The tagger's feature ids: the per-word cache and the precomputed window stages change nothing."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from trueport.guard import pii_features as pf

VOCABULARY = frozenset({"the", "meeting", "is", "at", "with", "thanks", "send", "to"})
GAZETTEER = {"ana": "given", "lopez": "surname", "berlin": "place", "may": "month"}
TEXTS = [
    "The meeting is at 12 Main St. with Ana Lopez,\nthanks!",
    "Send it to Ana.\n\nAna Lopez\n1 Rue de la Paix\r\n75002 Paris",
    "Grüße aus Berlin!\nMüller-Lüdenscheidt wohnt in der Straße 5.\n\n\nDanke",
    "x",
    "  \n  ",
    "def f(x):\n    return x  # O'Neil's code: ANA LOPEZ? no!",
    "May 5: see the ÉCOLE at 3 Avenue Foch; call back.",
]


def reference(featurizer: pf.Featurizer, text: str, tokens: pf.Tokens) -> pf.IndexArray:
    """Feature ids computed directly from the specs: every input of every window feature mixed per token."""
    n = len(tokens)
    if n == 0:
        return np.zeros((0, pf.FEATURES_PER_TOKEN), dtype=np.int64)
    rows = np.array(
        [pf._word_row(w, featurizer.vocabulary, featurizer.gazetteer) for w in tokens.words], np.uint64
    )
    width = pf._ZERO + 1
    columns = np.zeros((n + 2 * pf._PAD, width), dtype=np.uint64)
    columns[: pf._PAD, : pf._ATTRS] = pf._BOS
    columns[pf._PAD + n :, : pf._ATTRS] = pf._EOS
    body = columns[pf._PAD : pf._PAD + n]
    body[:, : pf._ATTRS] = rows[:, : pf._ATTRS]
    gaps = pf._gaps(text, tokens)
    body[:, pf._GAP] = gaps[:n]
    body[:, pf._NEXT_GAP] = gaps[1:]
    body[:, pf._LINE_START] = gaps[:n] >= 2
    previous = columns[pf._PAD - 1 : pf._PAD - 1 + n, pf._PUNCT]
    body[:, pf._SENT_START] = np.isin(previous, pf._SENTENCE_END) | (gaps[:n] >= 2)
    out = np.zeros((n, pf.FEATURES_PER_TOKEN), dtype=np.int64)
    out[:, : pf.WORD_SLOTS] = rows[:, pf._ATTRS :]
    for s, (_, inputs) in enumerate(pf._SPECS):
        h = np.full(n, pf._TEMPLATE_IDS[s], dtype=np.uint64)
        for column, offset in (*inputs, *[(pf._ZERO, 0)] * (3 - len(inputs))):
            h = pf._mix(h, columns[pf._PAD + offset : pf._PAD + offset + n, column])
        out[:, pf.WORD_SLOTS + s] = pf._finish(h)
    return out


@pytest.mark.parametrize("text", TEXTS)
def test_features_equal_the_direct_computation(text: str) -> None:
    featurizer = pf.Featurizer(VOCABULARY, GAZETTEER)
    tokens = pf.tokenize(text)
    expected = reference(featurizer, text, tokens)
    assert np.array_equal(featurizer.featurize(text, tokens), expected)
    assert np.array_equal(featurizer.featurize(text, tokens), expected)  # from the cache


def test_cached_and_uncached_features_are_identical() -> None:
    """A warm cache, a cache cleared on every text and one cleared and regrown often agree."""
    warm = pf.Featurizer(VOCABULARY, GAZETTEER)
    uncached = pf.Featurizer(VOCABULARY, GAZETTEER, cache_size=0)
    tiny = pf.Featurizer(VOCABULARY, GAZETTEER, cache_size=12)
    texts = [
        *TEXTS,
        *(f"{a} and {b} met at {i} High St." for i, (a, b) in enumerate(itertools.pairwise(TEXTS))),
    ]
    for _ in range(2):
        for text in texts:
            tokens = pf.tokenize(text)
            ids = warm.featurize(text, tokens)
            assert ids.dtype == np.int64 and ids.shape == (len(tokens), pf.FEATURES_PER_TOKEN)
            assert np.array_equal(ids, uncached.featurize(text, tokens))
            assert np.array_equal(ids, tiny.featurize(text, tokens))


def test_the_cache_grows_past_its_first_allocation() -> None:
    featurizer = pf.Featurizer(VOCABULARY, GAZETTEER)
    text = " ".join(f"w{i}" for i in range(3000))
    tokens = pf.tokenize(text)
    assert np.array_equal(featurizer.featurize(text, tokens), reference(featurizer, text, tokens))


def test_empty_text_has_no_features() -> None:
    ids = pf.Featurizer(VOCABULARY).featurize("", pf.tokenize(""))
    assert ids.shape == (0, pf.FEATURES_PER_TOKEN)


@pytest.mark.parametrize("text", ["", "no line feed", "a\nb\n\nc\n", "é\nà\n\nü", "\r\n\n", "\n"])
def test_line_feeds_are_found_in_ascii_and_other_texts(text: str) -> None:
    assert pf._newlines(text).tolist() == [m.start() for m in re.finditer("\n", text)]
