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
- the span is checked against the vocabulary and the gazetteer (``pii_lexicon.Lexicon``): titles and role words
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
backend's ``path`` when it has one, else to the packaged ``trueport/models``), and checked against
this code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import onnxruntime as ort

from trueport import jsonutil
from trueport.guard import pii_features as pf
from trueport.guard.models import DEFAULT_MODEL_DIR
from trueport.guard.pii_lexicon import Lexicon, read_gazetteer
from trueport.guard.pii_patterns import Match

MODEL_NAME = "pii_ner"
DEFAULT_MODELS_DIR = DEFAULT_MODEL_DIR
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

    def tag(
        self, text: str, blocked: Sequence[tuple[int, int]] = (), tokens: pf.Tokens | None = None
    ) -> list[Match]:
        """Names and addresses in ``text`` (``tokens``: its ``pf.tokenize``, if already made)."""
        if tokens is None:
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
