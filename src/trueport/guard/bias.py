"""Biased, stereotyping and hateful language about protected groups, with the project's own model.

Protected groups: race and ethnicity, nationality and origin (immigrants and refugees included),
religion, gender, sexual orientation, gender identity, disability and age. Finding types:

- ``stereotype``: a generalisation that attributes a (usually negative) trait to a whole group
  ("all X are lazy", "X can't drive", a request to write one);
- ``slur_or_dehumanisation``: a slur from the curated lexicon, or a group likened to animals,
  vermin or disease;
- ``exclusion``: denying a group jobs, housing, rights or entry ("don't hire X", "no X allowed");
- ``incitement``: a call for violence against a group.

Pipeline for one text::

    tokens -> group mentions (bias_lexicon: nouns, adjectives + person nouns, age expressions)
           -> slur lexicon lookup (keyed digests; a hit is a finding on its own)
           -> sentences that mention a group, mentions replaced by "grp" (bias_features.analyse)
           -> model "bias" (ONNX: word and character n-gram TF-IDF + rule features -> 5 classes)

A sentence's score is the model's probability that it is not ``none``; its type is the most likely
of the four bias classes; the finding spans the sentence. Sentences that mention no group are not
scored at all: that keeps the cost near zero for most traffic and the false positives low, and it is
the detector's main limit (a pronoun or a group word missing from the lexicon hides a sentence).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from trueport.guard.base import Finding, ScanContext
from trueport.guard.bias_features import analyse, model_chars, model_words, rule_features
from trueport.guard.models import InferenceBackend, ModelRepository, Tensor

MODEL_NAME = "bias"
CLASSES = ("none", "stereotype", "slur_or_dehumanisation", "exclusion", "incitement")
TYPES = CLASSES[1:]
BATCH = 64  # sentences per model call


def model_inputs(masked: Sequence[str]) -> dict[str, Tensor]:
    """The model's inputs for masked sentences: padded word and character strings, rule features."""
    words = [model_words(m) for m in masked]
    width = max((len(w) for w in words), default=0) or 1
    word_tokens = np.array([w + [""] * (width - len(w)) for w in words], dtype=np.str_).reshape(
        len(words), width
    )
    chars = [model_chars(m) for m in masked]
    char_tokens = np.zeros((len(chars), max((len(c) for c in chars), default=0) or 1), dtype="<U1")
    for i, row in enumerate(chars):
        # One code point per element; the zero padding reads as "", which no n-gram contains.
        char_tokens[i, : len(row)] = np.frombuffer(row.encode("utf-32-le"), dtype="<U1")
    rules = np.array([rule_features(m, w) for m, w in zip(masked, words, strict=True)], dtype=np.float32)
    return {"word_tokens": word_tokens, "char_tokens": char_tokens, "rules": rules.reshape(len(masked), -1)}


class BiasDetector:
    """Stereotypes, slurs and dehumanisation, exclusion and incitement against protected groups.

    ``backend`` runs the model (default: the shipped repository on local ONNX Runtime).
    ``report_threshold``: sentence scores below it produce no finding (policies compare the rest
    with their thresholds; ``default_threshold`` is the operating point chosen on development data).
    """

    name: ClassVar[str] = "bias"
    default_threshold: ClassVar[float] = 0.5

    def __init__(
        self,
        backend: InferenceBackend | None = None,
        *,
        model_name: str = MODEL_NAME,
        report_threshold: float = 0.2,
    ) -> None:
        self._backend = backend if backend is not None else ModelRepository()
        self._model = model_name
        self._report_threshold = report_threshold

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        analysis = analyse(text)
        findings = [
            Finding(self.name, "slur_or_dehumanisation", s.start, s.end, s.score) for s in analysis.slurs
        ]
        if not analysis.segments:
            return findings
        probabilities = self.classify([s.masked for s in analysis.segments])
        for segment, row in zip(analysis.segments, probabilities, strict=True):
            score = 1.0 - float(row[0])
            if score >= self._report_threshold:
                kind = TYPES[int(np.argmax(row[1:]))]
                findings.append(Finding(self.name, kind, segment.start, segment.end, score))
        return findings

    def classify(self, masked: Sequence[str]) -> np.ndarray[tuple[int, int], np.dtype[np.float32]]:
        """Class probabilities (``CLASSES`` order) of masked sentences."""
        parts = []
        for i in range(0, len(masked), BATCH):
            outputs = self._backend.infer(self._model, model_inputs(masked[i : i + BATCH]))
            parts.append(np.asarray(outputs["probabilities"], dtype=np.float32))
        return np.concatenate(parts).reshape(len(masked), len(CLASSES))
