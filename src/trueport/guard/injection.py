"""Prompt-injection and jailbreak detection with the project's own linear model.

Pipeline for one text::

    normalize (NFKC, invisibles, homoglyphs, one level of base64/hex/URL decoding)
      -> hashed features (character 2-5-grams and word 1-2-grams, counted in numpy)
      -> model "injection" (ONNX: TF-IDF weighting, L2 norm per block, logistic regression)

The tokeniser and the hashing are here, in plain numpy, and the ONNX model starts from hashed ids
and term frequencies: the weighting and the classifier are in the model, so a Triton server runs
the same graph. ``training/injection/train.py`` imports this module, so training and serving hash
identically. The model's bias is shifted at export so that a score of 0.5 is the operating point
chosen on calibration data (``default_threshold``).

Every text is scored as a whole. User turns, unknown-role prompts, documents, tool output and tool
arguments (``WINDOW_SOURCES``) are also cut into sentence windows, so that one injected instruction
inside a long benign text (a retrieved page, a pasted e-mail) stands out; the finding then carries
the span of the highest-scoring window. Windows are read with the model's separately calibrated
``window_score`` output, so that the many windows of a long clean text do not raise its false-alarm
rate. The model maps its calibrated flag and block operating points onto ``default_threshold`` and
``default_block_threshold`` (see ``training/injection/train.py``).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from trueport.guard.base import Finding, ScanContext, Source
from trueport.guard.linear_graph import LinearGraph
from trueport.guard.models import InferenceBackend, ModelRepository, Tensor
from trueport.guard.normalize import NormalizedText, normalize

MODEL_NAME = "injection"
CHAR_BITS = 20
WORD_BITS = 18
CHAR_BUCKETS = 1 << CHAR_BITS
WORD_BUCKETS = 1 << WORD_BITS
CHAR_NGRAMS = (2, 3, 4, 5)
MAX_SCAN_CHARS = 100_000  # only the first 100,000 characters of a text are scanned
WINDOW_BATCH = 64  # windows per model call

_U64 = np.uint64
_FNV_BASIS = _U64(0xCBF29CE484222325)
_FNV_PRIME = _U64(0x100000001B3)
_MIX = _U64(0x9E3779B97F4A7C15)
_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"\w+", re.ASCII)
_BIGRAM_SALT = 0x5BD1E995
_WINDOW_SALT = _U64(0x2545F4914F6CDD1D)

IntArray = np.ndarray[tuple[int], np.dtype[np.int64]]
FloatArray = np.ndarray[tuple[int], np.dtype[np.float32]]


@dataclass(frozen=True, slots=True)
class Features:
    """Hashed n-grams of one text: unique bucket ids and their sublinear term frequencies."""

    char_ids: IntArray
    char_tf: FloatArray
    word_ids: IntArray
    word_tf: FloatArray


def featurize(text: str, *, window: bool = False) -> Features:
    """Hash the n-grams of an already normalised text.

    ``window``: the text is a window of a longer one. Its n-grams count twice: in the buckets every
    text uses and, salted, in buckets of their own. Windows share what all texts teach and the model
    learns on top what differs in a window of a document: "answer in Spanish" in the middle of an
    e-mail is evidence of an injection, the same words as a user's whole request are not.
    """
    lower = text.lower()
    char_hashes, word_hashes = _char_hashes(" " + lower + " "), _word_hashes(lower)
    if window:
        char_hashes = np.concatenate([char_hashes, char_hashes ^ _WINDOW_SALT])
        word_hashes = np.concatenate([word_hashes, word_hashes ^ _WINDOW_SALT])
    char_ids, char_tf = _counts(char_hashes, CHAR_BITS)
    word_ids, word_tf = _counts(word_hashes, WORD_BITS)
    return Features(char_ids, char_tf, word_ids, word_tf)


def featurize_rows(text: str, *, window: bool = False) -> tuple[IntArray, FloatArray]:
    """``featurize`` as one array for ``LinearGraph``: the character buckets, then the word buckets
    offset by ``CHAR_BUCKETS``, unique and sorted, with their sublinear term frequencies (the same
    buckets and frequencies as ``featurize``, in one sort instead of two)."""
    lower = text.lower()
    char_hashes, word_hashes = _char_hashes(" " + lower + " "), _word_hashes(lower)
    if window:
        char_hashes = np.concatenate([char_hashes, char_hashes ^ _WINDOW_SALT])
        word_hashes = np.concatenate([word_hashes, word_hashes ^ _WINDOW_SALT])
    chars = (char_hashes * _MIX) >> _U64(64 - CHAR_BITS)
    words = ((word_hashes * _MIX) >> _U64(64 - WORD_BITS)) + _U64(CHAR_BUCKETS)
    return _unique_counts(np.concatenate([chars, words]).astype(np.int32))


def batch_inputs(features: Sequence[Features]) -> dict[str, Tensor]:
    """The model's four inputs for a batch, padded with id 0 / frequency 0 (which adds nothing)."""
    return {
        "char_ids": _pad([f.char_ids for f in features], np.int64),
        "char_tf": _pad([f.char_tf for f in features], np.float32),
        "word_ids": _pad([f.word_ids for f in features], np.int64),
        "word_tf": _pad([f.word_tf for f in features], np.float32),
    }


def _char_hashes(text: str) -> np.ndarray[tuple[int], np.dtype[np.uint64]]:
    """FNV-1a over code points; the n-gram hashes are built one from the other (h_n from h_n-1),
    each written in place into its part of one array."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    size = len(codes)
    low, high = CHAR_NGRAMS[0], CHAR_NGRAMS[-1]
    lengths = [size - n + 1 for n in range(low, high + 1) if size - n + 1 > 0]
    out = np.empty(sum(lengths), dtype=np.uint64)
    if not lengths:
        return out
    h = (codes ^ _FNV_BASIS) * _FNV_PRIME  # the 1-grams
    for n in range(2, low):
        h = (h[:-1] ^ codes[n - 1 :]) * _FNV_PRIME
    position = 0
    for i, m in enumerate(lengths):
        part = out[position : position + m]
        np.bitwise_xor(h[:m], codes[low - 1 + i : low - 1 + i + m], out=part)
        np.multiply(part, _FNV_PRIME, out=part)
        h, position = part, position + m
    return out


def _word_hashes(text: str) -> np.ndarray[tuple[int], np.dtype[np.uint64]]:
    # \w+ restricted to ASCII finds the same words in an ASCII text, faster
    words = (_ASCII_WORD if text.isascii() else _WORD).findall(text)
    if not words:
        return np.zeros(0, dtype=np.uint64)
    uni = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    bi = (uni[:-1] * _U64(_BIGRAM_SALT)) ^ (uni[1:] + _U64(0x7F4A7C15)) ^ _U64(1 << 40)
    return np.concatenate([uni, bi])


def _counts(hashes: np.ndarray[tuple[int], np.dtype[np.uint64]], bits: int) -> tuple[IntArray, FloatArray]:
    """Unique buckets (the top ``bits`` bits of a multiplicative mix) and 1 + log(count)."""
    if hashes.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return _unique_counts(((hashes * _MIX) >> _U64(64 - bits)).astype(np.int32))  # < 32 bits: a cheaper sort


def _unique_counts(ids: np.ndarray[tuple[int], np.dtype[np.int32]]) -> tuple[IntArray, FloatArray]:
    """The unique values of ``ids`` (sorted, in place) and 1 + log(count) of each."""
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    ids.sort()
    change = np.empty(ids.size + 1, dtype=bool)  # where a run of equal ids starts (and the end)
    change[0] = change[-1] = True
    np.not_equal(ids[1:], ids[:-1], out=change[1:-1])
    edges = np.flatnonzero(change)
    counts = edges[1:] - edges[:-1]
    tf = _SUBLINEAR_TF.take(counts) if counts.max() < _SUBLINEAR_TF.size else _sublinear(counts)
    return ids[edges[:-1]].astype(np.int64), tf


def _sublinear(counts: np.ndarray[tuple[int], np.dtype[np.intp]]) -> FloatArray:
    """1 + log(count) (computed in float64, then float32)."""
    return (1.0 + np.log(counts)).astype(np.float32)


_SUBLINEAR_TF = np.concatenate([[np.float32(0)], _sublinear(np.arange(1, 1024))])  # by count


def _pad(rows: Sequence[np.ndarray[tuple[int], np.dtype[np.generic]]], dtype: type[np.generic]) -> Tensor:
    width = max((len(r) for r in rows), default=0) or 1
    out = np.zeros((len(rows), width), dtype=dtype)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


# --- windows ---------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"(?<=[.!?;\u3002\uff01\uff1f])\s+|\s*\n\s*|(?<=[.!?])(?=[A-Z])")
WINDOW_CHARS = 300  # sentences are merged into windows up to about this long
MAX_WINDOW_CHARS = 600  # a longer sentence is cut at whitespace


def windows(text: str) -> list[tuple[int, int]]:
    """Spans of sentence windows: runs of whole sentences up to about ``WINDOW_CHARS``.

    Each window after the first starts with the last sentence of the one before (when that sentence
    is short), so an instruction of two sentences that straddles a boundary is still seen whole. A
    text that fits in one window gives no windows (the whole-text score covers it).
    """
    sentences = [(s, e) for s, e in _sentences(text) if any(c.isalnum() for c in text[s:e])]
    spans: list[tuple[int, int]] = []
    last: tuple[int, int] | None = None  # the last sentence of the current window
    for start, end in sentences:
        if spans and end - spans[-1][0] <= WINDOW_CHARS:
            spans[-1] = (spans[-1][0], end)
        elif last is not None and last[1] - last[0] <= WINDOW_CHARS // 2 and end - last[0] <= WINDOW_CHARS:
            spans.append((last[0], end))
        else:
            spans.append((start, end))
        last = (start, end)
    return spans if len(spans) > 1 else []


def _sentences(text: str) -> list[tuple[int, int]]:
    sentences: list[tuple[int, int]] = []
    position = 0
    for match in _BOUNDARY.finditer(text):
        if match.start() > position:
            sentences.extend(_split_long(text, position, match.start()))
        position = match.end()
    if position < len(text):
        sentences.extend(_split_long(text, position, len(text)))
    return sentences


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > MAX_WINDOW_CHARS:
        cut = text.rfind(" ", start + WINDOW_CHARS // 2, start + WINDOW_CHARS)
        cut = cut if cut > start else start + WINDOW_CHARS
        pieces.append((start, cut))
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    pieces.append((start, end))
    return pieces


# --- detector --------------------------------------------------------------------------------

# Sources scanned window by window as well as whole: a pasted e-mail in a user turn is as much a
# carrier of a hidden instruction as a retrieved document. (System prompts and earlier assistant
# turns are the application's own text; when a policy scans them they are read whole.)
WINDOW_SOURCES = frozenset(
    {Source.USER, Source.PROMPT, Source.DOCUMENT, Source.TOOL_OUTPUT, Source.TOOL_ARGUMENTS}
)


# Sources whose windows are read with the model's ``document_score`` output: text the application
# retrieved rather than wrote or was sent by its user. Their window flag threshold is calibrated on
# clean documents alone (``training/injection/train.py``), where a user turn's is held to the
# user-text false-positive budget.
DOCUMENT_SOURCES = frozenset({Source.DOCUMENT, Source.TOOL_OUTPUT})
_FALLBACK_OUTPUT = {"document_score": "window_score", "window_score": "score"}


class InjectionDetector:
    """Prompt injection and jailbreak attempts, direct or embedded in documents and tool output.

    ``backend`` runs the model (default: the shipped repository on local ONNX Runtime; a
    ``FallbackBackend(TritonBackend(...), repository)`` serves it remotely). ``report_threshold``:
    scores below it produce no finding at all (policies compare the rest with their thresholds).
    ``window_sources``: sources that are also scanned window by window.
    """

    name: ClassVar[str] = "injection"
    # The model maps its calibrated operating points onto these two values (training/injection/train.py,
    # models/injection/training.json): flag at <= 2 % false positives on benign user texts, block at
    # about 0.2 % on benign user texts and documents.
    default_threshold: ClassVar[float] = 0.5
    default_block_threshold: ClassVar[float] = 0.9

    def __init__(
        self,
        backend: InferenceBackend | None = None,
        *,
        model_name: str = MODEL_NAME,
        report_threshold: float = 0.25,
        window_sources: frozenset[Source] = WINDOW_SOURCES,
        direct: bool = True,
    ) -> None:
        self._backend = backend if backend is not None else ModelRepository()
        self._model = model_name
        self._report_threshold = report_threshold
        self._window_sources = window_sources
        # A model on local ONNX Runtime whose graph is the linear one training exports is evaluated
        # in numpy (``LinearGraph``: the same scores, a fraction of the per-call cost); ``direct=False``
        # always asks the backend (tests compare the two).
        self._graph = _local_graph(self._backend, model_name) if direct else None

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if not text.strip():
            return []
        source = context.source
        score, span = self.score(
            text, windowed=source in self._window_sources, document=source in DOCUMENT_SOURCES
        )
        if score < self._report_threshold:
            return []
        start, end = span if span is not None else (None, None)
        return [Finding(self.name, "prompt_injection", start, end, score)]

    def score(
        self, text: str, *, windowed: bool = False, document: bool = False
    ) -> tuple[float, tuple[int, int] | None]:
        """The highest score over the whole text and (if ``windowed``) its windows, with a span.

        The whole text is read with the model's ``score`` output, windows with ``window_score``
        (calibrated on documents and long user texts, where a window is one of many chances to raise
        a false alarm). The span is that of the highest-scoring window when it reaches the report
        threshold, even if the whole text scores higher: it locates the instruction.
        """
        text = text[:MAX_SCAN_CHARS]
        spans = windows(text) if windowed else []
        prepared = prepare(text)
        whole = float(self._scores([prepared.text], "score")[0])
        if not spans:
            return whole, None
        # Windows go apart from the whole text (a batch is padded to its longest row, and the whole
        # text is several windows long), and are decoded only if the whole text had an encoded
        # segment (windows end at whitespace or sentence ends, so they do not cut new ones).
        decode = bool(prepared.decodings)
        window_output = "document_score" if document else "window_score"
        pieces = [text[s:e] for s, e in spans]
        parts = []
        for i in range(0, len(pieces), WINDOW_BATCH):
            batch = [prepare(t, decode=decode).text for t in pieces[i : i + WINDOW_BATCH]]
            parts.append(self._scores(batch, window_output, window=True))
        scores = np.concatenate(parts)
        best = int(np.argmax(scores))
        span = spans[best] if scores[best] >= self._report_threshold else None
        return max(whole, float(scores[best])), span

    def score_texts(self, texts: Sequence[str]) -> np.ndarray[tuple[int], np.dtype[np.float32]]:
        """Whole-text scores of raw texts (normalised here), one model call for the batch."""
        return self._scores([prepare(t).text for t in texts], "score")

    def _scores(
        self, prepared: Sequence[str], output: str, *, window: bool = False
    ) -> np.ndarray[tuple[int], np.dtype[np.float32]]:
        """Output ``output`` of the model for already normalised texts (a model without a
        ``document_score`` output gives its ``window_score``, one without ``window_score`` its ``score``)."""
        graph = self._graph
        if graph is not None:
            output = output if graph.has(output) else _FALLBACK_OUTPUT[output]
            return graph.output(output, graph.logits([featurize_rows(t, window=window) for t in prepared]))
        features = [featurize(t, window=window) for t in prepared]
        outputs = self._backend.infer(self._model, batch_inputs(features))
        while output not in outputs and output in _FALLBACK_OUTPUT:
            output = _FALLBACK_OUTPUT[output]
        found = outputs[output]
        return np.asarray(found, dtype=np.float32).reshape(len(prepared))


def _local_graph(backend: InferenceBackend, name: str) -> LinearGraph | None:
    """The model's graph for direct evaluation, when it runs on this process's ONNX Runtime and is
    the linear graph training exports (a Triton backend, or another graph, is left to the backend)."""
    if type(backend) is not ModelRepository:
        return None
    entry = backend.models.get(name)
    return LinearGraph.load(entry.path) if entry is not None else None


def prepare(text: str, *, decode: bool = True) -> NormalizedText:
    """The normalisation the detector applies (and training must apply)."""
    return normalize(text, leet=True, decode=decode)
